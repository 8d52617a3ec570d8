//! pcmtap's libpulse client configuration: what it includes, where it is written, and that a
//! directory another user could write is never used.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pcmtap-conf-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_users_client_conf_wins_over_the_systems_and_xdg_config_home_over_home() {
    let d = scratch("order");
    fs::create_dir_all(d.join("xdg/pulse")).unwrap();
    fs::create_dir_all(d.join("home/.config/pulse")).unwrap();
    fs::write(d.join("home/.config/pulse/client.conf"), "").unwrap();
    let home = d.join("home");
    let only_home = |k: &str| (k == "HOME").then(|| home.clone().into_os_string());
    assert_eq!(
        user_config(&only_home),
        Some(home.join(".config/pulse/client.conf"))
    );
    fs::write(d.join("xdg/pulse/client.conf"), "").unwrap();
    let xdg = d.join("xdg");
    let both = |k: &str| match k {
        "HOME" => Some(home.clone().into_os_string()),
        "XDG_CONFIG_HOME" => Some(xdg.clone().into_os_string()),
        _ => None,
    };
    assert_eq!(user_config(&both), Some(xdg.join("pulse/client.conf")));
    let nobody = |_: &str| None;
    let system = Path::new("/etc/pulse/client.conf");
    assert_eq!(
        user_config(&nobody),
        system.is_file().then(|| system.to_path_buf())
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_config_includes_the_dot_d_files_in_order_then_the_file_then_turns_shm_off() {
    let d = scratch("text");
    let file = d.join("client.conf");
    fs::write(&file, "default-server = unix:/x\n").unwrap();
    fs::create_dir_all(d.join("client.conf.d")).unwrap();
    for n in ["20-b.conf", "10-a.conf", "notes.txt"] {
        fs::write(d.join("client.conf.d").join(n), "").unwrap();
    }
    let text = config_text(&Some(file.clone()));
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let inc = |p: PathBuf| format!(".include {}", p.display());
    assert_eq!(
        lines,
        [
            inc(d.join("client.conf.d/10-a.conf")),
            inc(d.join("client.conf.d/20-b.conf")),
            inc(file),
            "enable-shm = no".to_string(),
        ]
    );
    assert_eq!(config_text(&None).lines().last(), Some("enable-shm = no"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_file_is_written_once_and_reused_by_content() {
    let d = scratch("once");
    let a = write_once(&d, "enable-shm = no\n").unwrap();
    let mtime = fs::metadata(&a).unwrap().modified().unwrap();
    assert_eq!(write_once(&d, "enable-shm = no\n").unwrap(), a);
    assert_eq!(
        fs::metadata(&a).unwrap().modified().unwrap(),
        mtime,
        "rewritten"
    );
    let b = write_once(&d, ".include /y\nenable-shm = no\n").unwrap();
    assert_ne!(a, b);
    assert_eq!(
        fs::read_to_string(&b).unwrap(),
        ".include /y\nenable-shm = no\n"
    );
    assert_eq!(fs::metadata(&b).unwrap().mode() & 0o777, 0o600);
    // Nothing else left behind (no temporary file).
    assert_eq!(fs::read_dir(&d).unwrap().count(), 2);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_directory_others_can_write_or_a_symlink_is_never_used() {
    let d = scratch("private");
    let uid = fs::metadata("/proc/self").unwrap().uid();
    let fresh = d.join("fresh");
    assert!(ensure_private(&fresh, uid));
    assert_eq!(fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
    let open = d.join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    assert!(!ensure_private(&open, uid));
    let link = d.join("link");
    std::os::unix::fs::symlink(&fresh, &link).unwrap();
    assert!(!ensure_private(&link, uid));
    assert!(!ensure_private(&fresh, uid + 1), "someone else's directory");
    fs::remove_dir_all(&d).unwrap();
}
