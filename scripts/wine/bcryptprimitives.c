// Test-rig shim for Wine 8.0 (scripts/wine-node.sh): Wine 8.0 has no bcryptprimitives.dll,
// whose ProcessPrng Rust's std imports on Windows since Rust 1.78 (rust-lang/rust#121337), so the
// addon fails to load there. This DLL implements it with RtlGenRandom (advapi32's
// SystemFunction036). Windows 10 and later ship the real one; it is never part of a package.
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
