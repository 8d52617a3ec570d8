//! The applications playing through the PulseAudio or PipeWire (pipewire-pulse) server: its
//! playback streams (sink inputs) grouped by process, as `listApplications()` shows them and an
//! application capture selects them.
//!
//! Threads: the JS thread (`listApplications()`, a capture's start) and an application
//! capture's control thread (`app_source.rs`). Each call is one question to the server on a
//! connection of its own.

use pulseaudio::protocol::{Prop, SinkInputInfo};

use super::app_config::{AppInfo, AppSelect};
use super::subscribe::sink_inputs;
use crate::error::{Error, ErrorKind};

/// One playback stream, as far as an application capture cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    pub index: u32,
    pub sink: u32,
    pub pid: Option<u32>,
    pub name: String,
    pub binary: String,
}

fn prop(i: &SinkInputInfo, p: Prop) -> String {
    let v = i.props.get(p).unwrap_or_default();
    String::from_utf8_lossy(v.strip_suffix(&[0]).unwrap_or(v)).into_owned()
}

fn no_server() -> Error {
    Error::new(
        ErrorKind::HostUnavailable,
        "per-application capture needs a PulseAudio or PipeWire (pipewire-pulse) server, and none answers",
    )
}

/// Every playback stream of the server now.
pub fn streams() -> Result<Vec<Stream>, Error> {
    let list = sink_inputs().ok_or_else(no_server)?;
    Ok(list
        .iter()
        .map(|i| Stream {
            index: i.index,
            sink: i.sink_index,
            pid: prop(i, Prop::ApplicationProcessId).parse().ok(),
            name: prop(i, Prop::ApplicationName),
            binary: prop(i, Prop::ApplicationProcessBinary),
        })
        .collect())
}

/// The applications playing now: one entry per process, in order of first stream.
pub fn list() -> Result<Vec<AppInfo>, Error> {
    let mut apps: Vec<AppInfo> = Vec::new();
    for s in streams()? {
        let Some(pid) = s.pid else { continue };
        match apps.iter_mut().find(|a| a.pid == pid) {
            Some(a) => a.streams += 1,
            None => apps.push(AppInfo {
                pid,
                name: s.name,
                binary: s.binary,
                host: "pulseaudio".into(),
                streams: 1,
            }),
        }
    }
    Ok(apps)
}

/// Whether process `pid` still runs: it has a `/proc` entry and has not exited. A process that
/// exited but that its parent has not reaped yet (a zombie, state `Z`, or `X` while it goes)
/// keeps its entry: it counts as exited (a launcher slow to reap its child would otherwise keep
/// the capture of a dead application going).
pub fn alive(pid: u32) -> bool {
    match std::fs::read(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(stat_state(&stat), Some(b'Z' | b'X' | b'x')),
        Err(_) => false,
    }
}

/// The state letter of a `/proc/<pid>/stat` line: the field after the command, which is in
/// parentheses and may itself hold `)` and spaces (so: after the last `)`).
fn stat_state(stat: &[u8]) -> Option<u8> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_read_after_the_last_parenthesis_of_the_command() {
        assert_eq!(stat_state(b"42 (sleep) S 1 42 42 0"), Some(b'S'));
        assert_eq!(stat_state(b"42 (a) Z (b) Z 1 42"), Some(b'Z'));
        assert_eq!(stat_state(b"42 (x) R"), Some(b'R'));
        assert_eq!(stat_state(b"42 (x)"), None);
        assert_eq!(stat_state(b""), None);
    }

    #[test]
    fn an_exited_child_not_yet_reaped_is_not_alive() {
        assert!(alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        // Not waited for: it stays a zombie, its /proc entry still there.
        let t0 = std::time::Instant::now();
        while alive(pid) && t0.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "a zombie keeps its entry");
        assert!(!alive(pid), "an exited process is not alive, reaped or not");
        child.wait().expect("reap");
        assert!(!alive(pid));
    }
}

/// What a selection follows once the capture runs: processes by id, or every process but some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Pids(Vec<u32>),
    AllBut(Vec<u32>),
}

impl Target {
    pub fn wants(&self, s: &Stream) -> bool {
        match (self, s.pid) {
            (Target::Pids(p), Some(pid)) => p.contains(&pid),
            (Target::Pids(_), None) => false,
            (Target::AllBut(p), pid) => pid.is_none_or(|pid| !p.contains(&pid)),
        }
    }

    /// The processes it follows (none for `AllBut`, which never ends by itself).
    pub fn pids(&self) -> &[u32] {
        match self {
            Target::Pids(p) => p,
            Target::AllBut(_) => &[],
        }
    }
}

/// Resolves a selection at start: a pid must be a running process; a name must match a playing
/// application (its name or binary, case-insensitive). Returns the target and a label for
/// messages and stats.
pub fn resolve(select: &AppSelect) -> Result<(Target, String), Error> {
    let now = streams()?;
    let playing = || {
        let apps = list().unwrap_or_default();
        if apps.is_empty() {
            "none".to_string()
        } else {
            apps.iter()
                .map(|a| format!("{} (pid {})", a.name, a.pid))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    match select {
        AppSelect::Pid(pid) => {
            if !alive(*pid) && !now.iter().any(|s| s.pid == Some(*pid)) {
                return Err(Error::new(
                    ErrorKind::AppNotFound,
                    format!("no process with pid {pid}; playing now: {}", playing()),
                ));
            }
            let name = now
                .iter()
                .find(|s| s.pid == Some(*pid))
                .map_or_else(|| format!("pid {pid}"), |s| s.name.clone());
            Ok((Target::Pids(vec![*pid]), name))
        }
        AppSelect::Name(name) => {
            let want = name.to_lowercase();
            let mut pids: Vec<u32> = now
                .iter()
                .filter(|s| s.name.to_lowercase() == want || s.binary.to_lowercase() == want)
                .filter_map(|s| s.pid)
                .collect();
            pids.sort_unstable();
            pids.dedup();
            if pids.is_empty() {
                return Err(Error::new(
                    ErrorKind::AppNotFound,
                    format!("no application named '{name}' is playing; playing now: {}", playing()),
                ));
            }
            Ok((Target::Pids(pids), name.clone()))
        }
        AppSelect::Exclude(pids) => Ok((
            Target::AllBut(pids.clone()),
            format!("everything but pid {}", pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")),
        )),
    }
}
