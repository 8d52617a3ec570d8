//! Which files pcmtap's libpulse configuration includes, in which order (libpulse 16.1's), which
//! paths no configuration line can name, and the opt-outs.

use super::*;
use crate::capture::pulse_reads::{includable, LibpulseReads};
use std::fs;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pcmtap-conf-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn env_of(pairs: Vec<(&'static str, OsString)>) -> impl Fn(&str) -> Option<OsString> {
    move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
}

fn system() -> Option<PathBuf> {
    let p = Path::new("/etc/pulse/client.conf");
    fs::File::open(p).is_ok().then(|| p.to_path_buf())
}

#[test]
fn the_main_file_is_home_pulse_then_home_config_pulse_then_the_systems_never_xdg_config_home() {
    let d = scratch("order");
    let home = d.join("home");
    fs::create_dir_all(home.join(".pulse")).unwrap();
    fs::create_dir_all(home.join(".config/pulse")).unwrap();
    fs::create_dir_all(d.join("xdg/pulse")).unwrap();
    fs::write(d.join("xdg/pulse/client.conf"), "").unwrap();
    let env = env_of(vec![
        ("HOME", home.clone().into()),
        ("XDG_CONFIG_HOME", d.join("xdg").into()),
    ]);
    assert_eq!(
        libpulse_reads(&env, None).main,
        system(),
        "XDG_CONFIG_HOME is not read"
    );
    fs::write(home.join(".config/pulse/client.conf"), "").unwrap();
    let config = home.join(".config/pulse/client.conf");
    assert_eq!(libpulse_reads(&env, None).main, Some(config));
    fs::write(home.join(".pulse/client.conf"), "").unwrap();
    let dot_pulse = home.join(".pulse/client.conf");
    assert_eq!(libpulse_reads(&env, None).main, Some(dot_pulse));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn pulse_config_path_replaces_home_and_a_relative_one_is_resolved_against_the_cwd() {
    let d = scratch("config-path");
    fs::create_dir_all(d.join("cfg")).unwrap();
    fs::write(d.join("cfg/client.conf"), "").unwrap();
    let home = d.join("home");
    fs::create_dir_all(home.join(".pulse")).unwrap();
    fs::write(home.join(".pulse/client.conf"), "").unwrap();
    let env = env_of(vec![
        ("HOME", home.clone().into()),
        ("PULSE_CONFIG_PATH", "cfg".into()),
    ]);
    assert_eq!(
        libpulse_reads(&env, Some(&d)).main,
        Some(d.join("cfg/client.conf"))
    );
    // Empty: libpulse opens "/client.conf", then the system's file.
    let empty = env_of(vec![("PULSE_CONFIG_PATH", "".into())]);
    let expected = fs::File::open("/client.conf")
        .is_ok()
        .then(|| PathBuf::from("/client.conf"))
        .or_else(system);
    assert_eq!(libpulse_reads(&empty, None).main, expected);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_home_that_is_not_absolute_means_no_file_at_all_not_even_the_systems() {
    for home in ["", "relative/home"] {
        let env = env_of(vec![("HOME", home.into())]);
        assert_eq!(
            libpulse_reads(&env, None),
            LibpulseReads::default(),
            "{home:?}"
        );
    }
}

#[test]
fn the_dot_d_files_come_after_the_main_file_in_byte_order_conf_names_only() {
    let d = scratch("dot-d");
    let main = d.join("home/.pulse/client.conf");
    fs::create_dir_all(main.with_file_name("client.conf.d/dir.conf")).unwrap();
    fs::write(&main, "").unwrap();
    let dot_d = d.join("home/.pulse/client.conf.d");
    for n in ["b.conf", "B.conf", "a.conf", "notes.txt", "conf"] {
        fs::write(dot_d.join(n), "").unwrap();
    }
    std::os::unix::fs::symlink("/nonexistent", dot_d.join("c.conf")).unwrap();
    let env = env_of(vec![("HOME", d.join("home").into())]);
    let reads = libpulse_reads(&env, None);
    let names: Vec<_> = reads
        .dot_d
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["B.conf", "a.conf", "b.conf", "c.conf", "dir.conf"]);
    let (text, left_out) = config_text(&reads);
    let text = String::from_utf8(text).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let inc = |p: PathBuf| format!(".include {}", p.display());
    assert_eq!(
        lines,
        [
            "enable-shm = no".to_string(),
            inc(main),
            inc(dot_d.join("B.conf")),
            inc(dot_d.join("a.conf")),
            inc(dot_d.join("b.conf")),
            // A dangling symlink: libpulse finds nothing there either (ENOENT is not an error).
            inc(dot_d.join("c.conf")),
            // dir.conf, a directory, is left out: libpulse reads nothing from it, and including
            // it would end the parse of pcmtap's file (EISDIR is an error).
            "enable-shm = no".to_string(),
        ]
    );
    assert!(left_out.is_empty());
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_path_no_configuration_line_can_name_is_left_out_and_reported_never_written() {
    for bad in [
        "/a\nenable-shm = yes",
        "/a#b",
        "/a;b",
        "/a ",
        "/a\t",
        "relative/client.conf",
        "",
    ] {
        assert!(!includable(Path::new(bad)), "{bad:?}");
    }
    assert!(!includable(&PathBuf::from(format!(
        "/{}",
        "x".repeat(4085)
    ))));
    assert!(includable(&PathBuf::from(format!("/{}", "x".repeat(4084)))));
    for good in ["/home/a b/.pulse/client.conf", "/h/\r/x", "/h/=/x"] {
        assert!(includable(Path::new(good)), "{good:?}");
    }
    let d = scratch("newline");
    let home = d.join("h\ndefault-server = unix:/nowhere\n#");
    fs::create_dir_all(home.join(".pulse")).unwrap();
    fs::write(home.join(".pulse/client.conf"), "").unwrap();
    let reads = libpulse_reads(&env_of(vec![("HOME", home.clone().into())]), None);
    let (text, left_out) = config_text(&reads);
    assert_eq!(left_out, [home.join(".pulse/client.conf")]);
    assert_eq!(
        String::from_utf8(text)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["enable-shm = no", "enable-shm = no"]
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_pulse_clientconfig_of_the_user_or_pcmtap_pulse_shm_1_leaves_the_environment_alone() {
    let user = env_of(vec![("PULSE_CLIENTCONFIG", "/mine.conf".into())]);
    let (c, v) = setup(&user);
    assert_eq!((c.setup, v), (PulseSetup::User, None));
    let keep = env_of(vec![("PCMTAP_PULSE_SHM", "1".into())]);
    let (c, v) = setup(&keep);
    assert_eq!((c.setup, v), (PulseSetup::OptedOut, None));
    assert_eq!(c.warning(), None);
}

#[test]
fn a_pulse_clientconfig_others_can_change_is_used_as_is_and_reported() {
    let d = std::env::temp_dir().join(format!("pcmtap-conf-test-{}-mine", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    let mine = d.join("mine.conf");
    fs::write(&mine, "").unwrap();
    let env = env_of(vec![("PULSE_CLIENTCONFIG", mine.clone().into())]);
    assert!(setup(&env).0.open_to_others.is_empty());
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&mine, fs::Permissions::from_mode(0o666)).unwrap();
    let (c, v) = setup(&env);
    assert_eq!(
        (c.setup, v, c.open_to_others.clone()),
        (PulseSetup::User, None, vec![mine])
    );
    assert!(c.warning().unwrap().contains("another user can change"));
    fs::remove_dir_all(&d).unwrap();
}
