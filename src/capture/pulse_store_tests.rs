//! Where pcmtap's libpulse configuration is kept: a sealed memfd nobody can write, else a file
//! in a directory no other user can change, never a directory another user could.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pcmtap-store-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

#[cfg(target_os = "linux")]
#[test]
fn the_memfd_reads_back_through_proc_self_fd_and_nobody_can_write_or_resize_it() {
    let text = b"enable-shm = no\n";
    let path = sealed_memfd(text).unwrap();
    assert_eq!(fs::read(&path).unwrap(), text);
    let n: i32 = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
    assert!(n >= 100, "fd {n}");
    // SAFETY: F_GETFD on a descriptor this test knows is open.
    let flags = unsafe { libc::fcntl(n, libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, 0, "children inherit it");
    // Even opened for writing (the magic link allows it), the seals refuse every change.
    let mut w = fs::OpenOptions::new().write(true).open(&path).unwrap();
    assert_eq!(w.write(b"x").unwrap_err().raw_os_error(), Some(libc::EPERM));
    assert!(w.set_len(0).is_err());
    assert!(w.set_len(100).is_err());
    assert_eq!(fs::read(&path).unwrap(), text);
}

#[test]
fn a_directory_whose_ancestor_another_user_owns_or_can_write_is_never_used() {
    let d = scratch("ancestors");
    let uid = euid();
    let fresh = d.join("ok/pcmtap");
    fs::create_dir_all(fresh.parent().unwrap()).unwrap();
    assert_eq!(
        private_dir(&fresh, uid).unwrap(),
        fs::canonicalize(&fresh).unwrap()
    );
    assert_eq!(fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
    // Writable by others (not sticky): they could rename pcmtap's directory away.
    let open = d.join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    assert!(private_dir(&open.join("pcmtap"), uid).is_err());
    // Sticky and world-writable, as /tmp: nobody else can rename or delete our entry.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
    assert!(private_dir(&open.join("pcmtap"), uid).is_ok());
    // Owned by someone else (the case of root with another user's XDG_RUNTIME_DIR).
    assert!(private_dir(&fresh, uid + 1).is_err());
    let relative = PathBuf::from("pcmtap");
    assert_eq!(
        private_dir(&relative, uid).unwrap_err(),
        "not an absolute path"
    );
    assert!(!relative.exists());
    // The directory itself: a symlink or one others can read is refused.
    let link = d.join("ok/link");
    std::os::unix::fs::symlink(&fresh, &link).unwrap();
    assert!(private_dir(&link, uid).is_err());
    fs::set_permissions(&fresh, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(private_dir(&fresh, uid).is_err());
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_file_is_written_once_and_reused_by_content() {
    let d = scratch("once");
    let a = write_once(&d, b"enable-shm = no\n").unwrap();
    let mtime = fs::metadata(&a).unwrap().modified().unwrap();
    assert_eq!(write_once(&d, b"enable-shm = no\n").unwrap(), a);
    assert_eq!(
        fs::metadata(&a).unwrap().modified().unwrap(),
        mtime,
        "rewritten"
    );
    let b = write_once(&d, b".include /y\nenable-shm = no\n").unwrap();
    assert_ne!(a, b);
    assert_eq!(fs::read(&b).unwrap(), b".include /y\nenable-shm = no\n");
    assert_eq!(fs::metadata(&b).unwrap().mode() & 0o777, 0o600);
    // Nothing else left behind (no temporary file).
    assert_eq!(fs::read_dir(&d).unwrap().count(), 2);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_file_another_user_could_change_is_recognised_through_its_directories_and_symlinks() {
    let d = scratch("open");
    let uid = euid();
    fs::create_dir_all(d.join("mine/.pulse")).unwrap();
    let mine = d.join("mine/.pulse/client.conf");
    fs::write(&mine, "").unwrap();
    assert!(!path_open_to_others(&mine, uid));
    assert!(!path_open_to_others(&d.join("mine/absent.conf"), uid));
    // The file writable by others, or a directory on its way.
    fs::set_permissions(&mine, fs::Permissions::from_mode(0o666)).unwrap();
    assert!(path_open_to_others(&mine, uid));
    fs::set_permissions(&mine, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(d.join("mine"), fs::Permissions::from_mode(0o777)).unwrap();
    assert!(path_open_to_others(&mine, uid));
    fs::set_permissions(d.join("mine"), fs::Permissions::from_mode(0o755)).unwrap();
    // Reached through a symlink whose target directory others can write.
    fs::create_dir(d.join("open")).unwrap();
    fs::set_permissions(d.join("open"), fs::Permissions::from_mode(0o777)).unwrap();
    fs::write(d.join("open/client.conf"), "").unwrap();
    std::os::unix::fs::symlink(d.join("open"), d.join("mine/link")).unwrap();
    assert!(path_open_to_others(&d.join("mine/link/client.conf"), uid));
    // Someone else's file (as root with a user's HOME).
    if uid == 0 {
        std::os::unix::fs::chown(&mine, Some(65534), Some(65534)).unwrap();
        assert!(path_open_to_others(&mine, uid));
    }
    fs::remove_dir_all(&d).unwrap();
}
