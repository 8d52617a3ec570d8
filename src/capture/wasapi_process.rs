//! Windows processes as an application capture sees them: whether a pid exists, a handle that
//! signals its exit, its executable's file name, and the parent of every process (for
//! `wasapi_tree.rs`).
//!
//! Threads: the JS thread (`listApplications()`, a capture's start); [`Process`] handles are
//! then waited on by the capture's control thread (`wasapi_app.rs`).

use std::collections::HashMap;

use windows::core::{Owned, PWSTR};
use windows::Win32::Foundation::{ERROR_INVALID_PARAMETER, HANDLE};
use windows::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Process32FirstW, Process32NextW, PROCESSENTRY32W, TH32CS_SNAPPROCESS,
};
use windows::Win32::System::Threading::{
    OpenProcess, QueryFullProcessImageNameW, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
    PROCESS_SYNCHRONIZE,
};

/// A handle to a running process, signalled when it exits (closed on drop).
pub struct Process(Owned<HANDLE>);

// SAFETY: a process handle is a kernel object reference, usable from any thread; this wrapper
// only waits on it and closes it once (on drop).
unsafe impl Send for Process {}
// SAFETY: as above; waiting on a handle from several threads at once is allowed.
unsafe impl Sync for Process {}

impl Process {
    pub fn handle(&self) -> HANDLE {
        *self.0
    }
}

/// What opening a pid found.
pub enum Opened {
    /// It runs; the handle signals its exit.
    Running(Process),
    /// It runs, but this process may not wait on it (a protected or other user's process).
    Denied,
    /// No process has this id.
    Missing,
}

/// Opens process `pid` to wait for its exit.
pub fn open(pid: u32) -> Opened {
    // SAFETY: plain call; the handle returned is owned (closed by `Owned`'s drop).
    match unsafe {
        OpenProcess(
            PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
            false,
            pid,
        )
    } {
        // SAFETY: a valid handle this function owns.
        Ok(h) => Opened::Running(Process(unsafe { Owned::new(h) })),
        // OpenProcess says ERROR_INVALID_PARAMETER for a pid no process has.
        Err(e) if e.code() == ERROR_INVALID_PARAMETER.to_hresult() => Opened::Missing,
        Err(_) => Opened::Denied,
    }
}

/// The executable's file name ("chrome.exe"), if the process can be queried.
pub fn binary(pid: u32) -> Option<String> {
    // SAFETY: plain call; the handle is owned and closed on drop.
    let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid) }.ok()?;
    // SAFETY: a valid handle this function owns.
    let h = unsafe { Owned::new(h) };
    let mut buf = [0u16; 1024];
    let mut len = buf.len() as u32;
    // SAFETY: `buf` holds `len` u16s; the call writes at most that many and sets `len`.
    unsafe {
        QueryFullProcessImageNameW(*h, PROCESS_NAME_WIN32, PWSTR(buf.as_mut_ptr()), &mut len)
    }
    .ok()?;
    let path = String::from_utf16_lossy(&buf[..len as usize]);
    path.rsplit(['\\', '/']).next().map(str::to_string)
}

/// Every running process's parent (pid → parent pid), from one snapshot; empty if the system
/// refuses the snapshot.
pub fn parents() -> HashMap<u32, u32> {
    let mut out = HashMap::new();
    // SAFETY: plain call; the snapshot handle is owned and closed on drop.
    let Ok(snap) = (unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) }) else {
        return out;
    };
    // SAFETY: a valid handle this function owns.
    let snap = unsafe { Owned::new(snap) };
    let mut e = PROCESSENTRY32W {
        dwSize: std::mem::size_of::<PROCESSENTRY32W>() as u32,
        ..Default::default()
    };
    // SAFETY: `e` is a PROCESSENTRY32W with dwSize set, as both calls require.
    let mut more = unsafe { Process32FirstW(*snap, &mut e) }.is_ok();
    while more {
        out.insert(e.th32ProcessID, e.th32ParentProcessID);
        // SAFETY: as above.
        more = unsafe { Process32NextW(*snap, &mut e) }.is_ok();
    }
    out
}
