use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use super::{crate_server, libpulse_servers, parse_entry, Addr, DEFAULT_PORT};

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let m: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |k| m.get(k).cloned()
}

fn unix(p: &str) -> Addr {
    Addr::Unix(PathBuf::from(p))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pcmtap-addr-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn server_list_entries_parse_as_libpulse_reads_them() {
    assert_eq!(parse_entry("unix:/a/b"), Some(unix("/a/b")));
    assert_eq!(parse_entry("/a/b"), Some(unix("/a/b")));
    assert_eq!(
        parse_entry("tcp:127.0.0.1:4000"),
        Some(Addr::Tcp("127.0.0.1".into(), 4000))
    );
    assert_eq!(
        parse_entry("tcp4:host"),
        Some(Addr::Tcp("host".into(), DEFAULT_PORT))
    );
    assert_eq!(
        parse_entry("tcp6:[::1]:4001"),
        Some(Addr::Tcp("::1".into(), 4001))
    );
    assert_eq!(
        parse_entry("localhost"),
        Some(Addr::Tcp("localhost".into(), DEFAULT_PORT))
    );
    assert_eq!(parse_entry("{not-this-machine}unix:/x"), None);
    assert_eq!(parse_entry("tcp:h:notaport"), None);
}

#[test]
fn pulse_server_wins_and_is_a_list() {
    let env = env_of(&[
        ("PULSE_SERVER", "unix:/s1 tcp:127.0.0.1:4999"),
        ("XDG_RUNTIME_DIR", "/run/user/9"),
        ("PULSE_CLIENTCONFIG", "/nonexistent/client.conf"),
    ]);
    assert_eq!(
        libpulse_servers(&env),
        vec![unix("/s1"), Addr::Tcp("127.0.0.1".into(), 4999)]
    );
}

#[test]
fn client_conf_default_server_is_followed_with_includes_and_dot_d() {
    let d = scratch("conf");
    let inc = d.join("inc.conf");
    std::fs::write(&inc, "default-server = unix:/from-include\n").unwrap();
    let main = d.join("client.conf");
    std::fs::write(
        &main,
        format!("default-server = unix:/first\n.include {}\n", inc.display()),
    )
    .unwrap();
    let env = env_of(&[
        ("PULSE_CLIENTCONFIG", main.to_str().unwrap()),
        ("XDG_RUNTIME_DIR", "/run/user/9"),
    ]);
    assert_eq!(libpulse_servers(&env), vec![unix("/from-include")]);
    // A .d file parsed after the main file wins.
    std::fs::create_dir_all(d.join("client.conf.d")).unwrap();
    std::fs::write(
        d.join("client.conf.d/50-x.conf"),
        "default-server = tcp:127.0.0.1:4100\n",
    )
    .unwrap();
    assert_eq!(
        libpulse_servers(&env),
        vec![Addr::Tcp("127.0.0.1".into(), 4100)]
    );
    // A line libpulse refuses ends the file: a default-server after it does not count.
    std::fs::remove_dir_all(d.join("client.conf.d")).unwrap();
    std::fs::write(
        &main,
        "default-server = unix:/kept\nbogus-key = 1\ndefault-server = unix:/never\n",
    )
    .unwrap();
    assert_eq!(libpulse_servers(&env), vec![unix("/kept")]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn without_a_server_named_the_runtime_dirs_then_the_system_socket() {
    let sys = unix("/var/run/pulse/native");
    let none = "/nonexistent/pcmtap-client.conf";
    let env = env_of(&[("PULSE_CLIENTCONFIG", none), ("XDG_RUNTIME_DIR", "/run/u")]);
    assert_eq!(
        libpulse_servers(&env),
        vec![unix("/run/u/pulse/native"), sys.clone()]
    );
    let env = env_of(&[
        ("PULSE_CLIENTCONFIG", none),
        ("PULSE_RUNTIME_PATH", "/prp"),
        ("XDG_RUNTIME_DIR", "/run/u"),
    ]);
    assert_eq!(libpulse_servers(&env), vec![unix("/prp/native"), sys.clone()]);
    // No XDG_RUNTIME_DIR: the legacy per-machine runtime link under the config directory.
    let home = scratch("home");
    let env = env_of(&[("PULSE_CLIENTCONFIG", none), ("HOME", home.to_str().unwrap())]);
    let got = libpulse_servers(&env);
    let Addr::Unix(p) = &got[0] else {
        panic!("{got:?}")
    };
    assert!(p.starts_with(home.join(".config/pulse")), "{p:?}");
    assert!(p.to_str().unwrap().ends_with("-runtime/native"), "{p:?}");
    std::fs::create_dir_all(home.join(".pulse")).unwrap();
    let got = libpulse_servers(&env);
    assert!(matches!(&got[0], Addr::Unix(p) if p.starts_with(home.join(".pulse"))), "{got:?}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn cpal_host_socket_is_the_crate_one() {
    let env = env_of(&[("PULSE_SERVER", "unix:/a"), ("XDG_RUNTIME_DIR", "/r")]);
    assert_eq!(crate_server(&env), Some(unix("/a")));
    let env = env_of(&[("PULSE_SERVER", "tcp:h"), ("XDG_RUNTIME_DIR", "/r")]);
    assert_eq!(crate_server(&env), Some(unix("/r/pulse/native")));
    assert_eq!(crate_server(&env_of(&[])), None);
}

#[test]
fn probes_see_a_listening_socket_and_a_dead_one() {
    let d = scratch("probe");
    let sock = d.join("native");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    assert!(Addr::Unix(sock.clone()).accepts());
    drop(listener);
    assert!(!Addr::Unix(sock).accepts(), "a socket file nobody listens on");
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    assert!(Addr::Tcp("127.0.0.1".into(), port).accepts());
    drop(tcp);
    assert!(!Addr::Tcp("127.0.0.1".into(), port).accepts());
    let _ = std::fs::remove_dir_all(&d);
}
