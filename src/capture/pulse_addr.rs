//! Where the sound server is, found as its clients find it, so that "is the server still
//! there?" asks the server the capture really talks to (never one guessed path).
//!
//! - libpulse 16.1 (ALSA's `pulse` plugin, so the `alsa` host): `$PULSE_SERVER`, else the
//!   `default-server` of the client configuration it reads (`client.conf`, or
//!   `$PULSE_CLIENTCONFIG`, which pcmtap points at its own file: `pulse_conf.rs`), each a list of
//!   `unix:PATH`, `/PATH`, `tcp[4|6]:HOST[:PORT]`, `HOST`, optionally `{machine-id}`-prefixed
//!   (an entry for another machine is skipped); without either, the user's runtime directory
//!   (`$PULSE_RUNTIME_PATH`, else `$XDG_RUNTIME_DIR/pulse`, else `<config>/<machine-id>-runtime`
//!   with `<config>` `~/.pulse` when it exists, else `$XDG_CONFIG_HOME/pulse`, else
//!   `~/.config/pulse`), then the system instance `/var/run/pulse/native`, then with
//!   `auto-connect-localhost = yes` TCP on localhost. Measured with `strace -e connect pactl info`
//!   under each of these environments (libpulse 16.1, Debian 12).
//! - cpal's PulseAudio host (the `pulseaudio` crate 0.3.2, `socket_path_from_env`): only a Unix
//!   socket: `$PULSE_SERVER` when it starts with `unix:`, else `$PULSE_RUNTIME_PATH/pulse/native`,
//!   else `$XDG_RUNTIME_DIR/pulse/native`, the first of them only.
//!
//! Threads: resolved on the JS thread (or the reconnect thread) when a device opens; probed on
//! the relay thread, the reconnect thread and cpal's error callback ([`Addr::accepts`]).

use std::ffi::OsString;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use super::pulse_parse::applied_lines;
use super::pulse_reads::{effective_reads, home_dir};

/// libpulse's native protocol port (`PA_NATIVE_DEFAULT_PORT`).
const DEFAULT_PORT: u16 = 4713;
/// How long a TCP probe may wait for the server's host to answer.
const TCP_WAIT: Duration = Duration::from_millis(300);

/// One address a client tries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addr {
    Unix(PathBuf),
    Tcp(String, u16),
}

impl Addr {
    /// Whether a server accepts connections there now. A local Unix connect is answered by the
    /// kernel from the listen backlog (microseconds); a TCP one waits at most [`TCP_WAIT`].
    pub fn accepts(&self) -> bool {
        match self {
            Addr::Unix(p) => UnixStream::connect(p).is_ok(),
            Addr::Tcp(host, port) => (host.as_str(), *port)
                .to_socket_addrs()
                .is_ok_and(|mut addrs| addrs.any(|a| TcpStream::connect_timeout(&a, TCP_WAIT).is_ok())),
        }
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Unix(p) => write!(f, "unix:{}", p.display()),
            Addr::Tcp(h, port) if h.contains(':') => write!(f, "tcp:[{h}]:{port}"),
            Addr::Tcp(h, port) => write!(f, "tcp:{h}:{port}"),
        }
    }
}

/// The addresses libpulse tries, in its order, given the environment `env`.
pub fn libpulse_servers(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<Addr> {
    let cwd = std::env::current_dir().ok();
    let reads = effective_reads(env, cwd.as_deref());
    let mut conf_server = None;
    let mut localhost = false;
    for file in reads.main.iter().chain(&reads.dot_d) {
        for l in applied_lines(file) {
            let Some(eq) = l.iter().position(|&c| c == b'=') else {
                continue;
            };
            let value = String::from_utf8_lossy(l[eq + 1..].trim_ascii()).into_owned();
            match l[..eq].trim_ascii() {
                b"default-server" => conf_server = Some(value),
                b"auto-connect-localhost" => localhost = yes(&value),
                _ => {}
            }
        }
    }
    let server = env("PULSE_SERVER")
        .map(|s| String::from_utf8_lossy(s.as_bytes()).into_owned())
        .or(conf_server)
        .filter(|s| !s.trim().is_empty());
    if let Some(list) = server {
        return list.split_whitespace().filter_map(parse_entry).collect();
    }
    let mut out: Vec<Addr> = runtime_dir(env)
        .map(|d| Addr::Unix(d.join("native")))
        .into_iter()
        .collect();
    out.push(Addr::Unix(PathBuf::from("/var/run/pulse/native")));
    if localhost {
        out.push(Addr::Tcp("::1".into(), DEFAULT_PORT));
        out.push(Addr::Tcp("127.0.0.1".into(), DEFAULT_PORT));
    }
    out
}

/// The one socket cpal's PulseAudio host connects to, given the environment `env`.
pub fn crate_server(env: &dyn Fn(&str) -> Option<OsString>) -> Option<Addr> {
    let first = match env("PULSE_SERVER") {
        Some(s) if s.as_bytes().starts_with(b"unix:") => {
            PathBuf::from(std::ffi::OsStr::from_bytes(&s.as_bytes()[5..]))
        }
        _ => env("PULSE_RUNTIME_PATH")
            .or_else(|| env("XDG_RUNTIME_DIR"))
            .map(|d| PathBuf::from(d).join("pulse/native"))?,
    };
    Some(Addr::Unix(first))
}

/// `pa_parse_boolean`'s yes words (the locale's are left out: only `auto-connect-localhost`
/// reads this, and it is off by default).
fn yes(v: &str) -> bool {
    ["1", "y", "t", "yes", "true", "on"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w))
}

/// One entry of a server list (`pa_parse_address`), `None` for another machine's.
fn parse_entry(e: &str) -> Option<Addr> {
    let e = match e.strip_prefix('{') {
        Some(rest) => {
            let (id, rest) = rest.split_once('}')?;
            if !this_machine(id) {
                return None;
            }
            rest
        }
        None => e,
    };
    if let Some(p) = e.strip_prefix("unix:") {
        return Some(Addr::Unix(PathBuf::from(p)));
    }
    if e.starts_with('/') {
        return Some(Addr::Unix(PathBuf::from(e)));
    }
    let hostport = ["tcp4:", "tcp6:", "tcp:"]
        .iter()
        .find_map(|p| e.strip_prefix(p))
        .unwrap_or(e);
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, rest) = v6.split_once(']')?;
            (h, rest.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (hostport, None),
        },
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => DEFAULT_PORT,
    };
    (!host.is_empty()).then(|| Addr::Tcp(host.to_string(), port))
}

/// `pa_machine_id`, and the host name libpulse also accepts in `{…}`.
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|f| std::fs::read_to_string(f).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn this_machine(id: &str) -> bool {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    machine_id().as_deref() == Some(id) || host.trim() == id
}

/// `pa_get_runtime_dir` (the part that finds it; libpulse also creates the legacy symlink).
fn runtime_dir(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if let Some(d) = env("PULSE_RUNTIME_PATH") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        return Some(PathBuf::from(d).join("pulse"));
    }
    let home = home_dir(env)?;
    let legacy = home.join(".pulse");
    let config = if legacy.is_dir() {
        legacy
    } else if let Some(x) = env("XDG_CONFIG_HOME") {
        PathBuf::from(x).join("pulse")
    } else {
        home.join(".config/pulse")
    };
    Some(config.join(format!("{}-runtime", machine_id()?)))
}

/// Whether any of `addrs` accepts connections (the first that does is where a client gets).
pub fn any_accepts(addrs: &[Addr]) -> bool {
    addrs.iter().any(Addr::accepts)
}

/// The addresses as one message part ("unix:/run/user/1000/pulse/native or tcp:…").
pub fn describe(addrs: &[Addr]) -> String {
    if addrs.is_empty() {
        return "no address (PULSE_SERVER names none for this machine)".into();
    }
    addrs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
#[path = "pulse_addr_tests.rs"]
mod tests;
