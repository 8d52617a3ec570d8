//! Where pcmtap's libpulse configuration lives, so that no other user can create, replace or
//! write anything libpulse reads through `PULSE_CLIENTCONFIG`:
//!
//! 1. a sealed memfd (Linux): nothing on disk. Written, then sealed against writing, shrinking,
//!    growing and further sealing (`F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL`),
//!    then reopened read-only through `/proc/self/fd` (which also checks that libpulse can
//!    open that path) at a descriptor number of 100 or more. That descriptor is left open for
//!    the life of the process and is **not** close-on-exec: `PULSE_CLIENTCONFIG` stays in the
//!    environment (libpulse reads it at every context it creates), so a child process inherits
//!    both, and `/proc/self/fd/N` in the child is the same sealed file, not a dangling or foreign
//!    descriptor. The number is high so that a child's stdio and IPC descriptors (0, 1, 2, 3, …,
//!    placed by `child_process`) do not replace it.
//! 2. else a file in a directory whose every ancestor is owned by root or this user and
//!    writable by no one else (or sticky, as `/tmp`: nobody else can rename or delete an entry
//!    there), the directory itself this user's, mode 0700 and not a symlink:
//!    `$XDG_RUNTIME_DIR/pcmtap`, else `<tmp>/pcmtap-<euid>`, each only when absolute.
//!
//! Threads: JS thread, once per process (`pulse_conf::disable_shm`).

use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Where the configuration was put.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    /// `/proc/self/fd/N`, a sealed memfd.
    Memfd(PathBuf),
    /// A file in a private directory.
    File(PathBuf),
}

/// Puts `text` somewhere only this user can change; `Err` says why nowhere could be used.
pub fn store(text: &[u8]) -> Result<Stored, String> {
    #[cfg(target_os = "linux")]
    let memfd_error = match sealed_memfd(text) {
        Ok(p) => return Ok(Stored::Memfd(p)),
        Err(e) => format!("memfd: {e}"),
    };
    #[cfg(not(target_os = "linux"))]
    let memfd_error = String::from("memfd: not on this platform");
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("pcmtap"));
    let tmp = std::env::temp_dir().join(format!("pcmtap-{euid}"));
    let mut refused = vec![memfd_error];
    for dir in runtime.into_iter().chain([tmp]) {
        match private_dir(&dir, euid).and_then(|d| write_once(&d, text)) {
            Ok(p) => return Ok(Stored::File(p)),
            Err(e) => refused.push(format!("{}: {e}", dir.display())),
        }
    }
    Err(refused.join("; "))
}

#[cfg(target_os = "linux")]
fn sealed_memfd(text: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::{Error, Read};
    use std::os::fd::{FromRawFd, OwnedFd};
    let name = c"pcmtap-pulse-client.conf";
    // SAFETY: `name` is a NUL-terminated string; the returned descriptor is checked and owned
    // by `memfd` alone from here on.
    let fd =
        unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if fd < 0 {
        return Err(Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let mut memfd = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    memfd.write_all(text)?;
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: fcntl on a descriptor `memfd` owns; F_ADD_SEALS takes an int argument.
    if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } != 0 {
        return Err(Error::last_os_error());
    }
    // Read-only, through the path libpulse will open (fails without /proc).
    let ro = fs::File::open(format!("/proc/self/fd/{fd}"))?;
    use std::os::fd::{AsRawFd, IntoRawFd};
    // SAFETY: F_DUPFD duplicates a descriptor `ro` owns; the copy is not close-on-exec.
    let mut high = unsafe { libc::fcntl(ro.as_raw_fd(), libc::F_DUPFD, 100) };
    if high < 0 {
        // Fewer than 101 descriptors allowed: any number, still inherited.
        // SAFETY: as above.
        high = unsafe { libc::fcntl(ro.as_raw_fd(), libc::F_DUPFD, 3) };
    }
    if high < 0 {
        return Err(Error::last_os_error());
    }
    // SAFETY: `high` is a fresh descriptor nobody else owns.
    let kept = fs::File::from(unsafe { OwnedFd::from_raw_fd(high) });
    let path = PathBuf::from(format!("/proc/self/fd/{high}"));
    let mut back = Vec::new();
    fs::File::open(&path)?.read_to_end(&mut back)?;
    if back != text {
        return Err(Error::other("the sealed file reads back different"));
    }
    // Kept open (not close-on-exec) for the life of the process: PULSE_CLIENTCONFIG names it.
    let _ = kept.into_raw_fd();
    Ok(path)
}

/// `dir`, created if needed, when it and every ancestor are safe from other users.
fn private_dir(dir: &Path, euid: u32) -> Result<PathBuf, String> {
    if dir.as_os_str().as_bytes().first() != Some(&b'/') {
        return Err("not an absolute path".into());
    }
    let parent = dir.parent().ok_or("no parent directory")?;
    let name = dir.file_name().ok_or("no name")?;
    // The real path, so that no symlink is followed when libpulse opens the file later.
    let parent = fs::canonicalize(parent).map_err(|e| e.to_string())?;
    for a in parent.ancestors() {
        let m = fs::metadata(a).map_err(|e| format!("{}: {e}", a.display()))?;
        if others_can_change(&m, euid) {
            return Err(format!(
                "{} is owned by uid {} with mode {:o}: another user could replace what is in it",
                a.display(),
                m.uid(),
                m.mode() & 0o7777
            ));
        }
    }
    let dir = parent.join(name);
    if fs::symlink_metadata(&dir).is_err() {
        let _ = fs::DirBuilder::new().mode(0o700).create(&dir);
    }
    let m = fs::symlink_metadata(&dir).map_err(|e| e.to_string())?;
    if !m.is_dir() || m.uid() != euid || m.mode() & 0o077 != 0 {
        return Err(format!(
            "not a directory of uid {euid} with mode 0700 (uid {}, mode {:o}, symlink: {})",
            m.uid(),
            m.mode() & 0o7777,
            m.file_type().is_symlink()
        ));
    }
    Ok(dir)
}

/// Whether a user other than root and `euid` can change what `m` (a file, or a directory's
/// entries) holds: theirs, or writable by group or others (a sticky directory excepted: there
/// nobody can rename or delete another's entry).
pub fn others_can_change(m: &fs::Metadata, euid: u32) -> bool {
    let sticky = m.is_dir() && m.mode() & 0o1000 != 0;
    (m.uid() != 0 && m.uid() != euid) || (m.mode() & 0o022 != 0 && !sticky)
}

/// Whether another user could create, replace or write the file at `path`: the file itself, or
/// a directory on the way to it, both as written and resolved. For the report only (libpulse
/// reads such a file all the same), so symlinks within symlink targets are not followed up.
pub fn path_open_to_others(path: &Path, euid: u32) -> bool {
    let bad = |p: &Path| fs::metadata(p).is_ok_and(|m| others_can_change(&m, euid));
    let resolved = path.parent().and_then(|p| fs::canonicalize(p).ok());
    bad(path)
        || path.ancestors().skip(1).any(bad)
        || resolved.is_some_and(|r| r.ancestors().any(bad))
}

/// `dir/client-<hash>.conf` holding `text`: reused when already there (only this user can
/// have written it), else written to a temporary name and renamed (another process of this
/// user may be doing the same).
fn write_once(dir: &Path, text: &[u8]) -> Result<PathBuf, String> {
    let path = dir.join(format!("client-{:016x}.conf", fnv1a(text)));
    if fs::read(&path).is_ok_and(|t| t == text) {
        return Ok(path);
    }
    let tmp = dir.join(format!(".client-{}.tmp", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text))
        .and_then(|()| fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e.to_string());
    }
    Ok(path)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[path = "pulse_store_tests.rs"]
mod tests;
