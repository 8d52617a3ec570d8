//! The PulseAudio or PipeWire (pipewire-pulse) server as its users know it: its sources
//! (microphones and sink monitors) with their human descriptions, its sinks, and its defaults.
//! Read through cpal's PulseAudio host, which speaks the native protocol (no libpulse).
//!
//! Threads: JS thread. One connection per process ([`shared_host`]).

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::DeviceDirection;

use super::devices::{format_name, ConfigInfo};

/// One source or sink of the server.
#[derive(Clone, Debug)]
pub struct ServerNode {
    /// The server's name for it (`pactl list sources` *Name*), stable across restarts.
    pub name: String,
    /// What `pactl` calls *Description* ("Monitor of Built-in Audio", "USB Microphone").
    pub description: String,
    /// A sink's monitor source: what that sink plays.
    pub monitor: bool,
    /// A sink (playback), not capturable as such.
    pub sink: bool,
    pub config: Option<ConfigInfo>,
}

#[derive(Clone, Debug, Default)]
pub struct ServerInfo {
    pub nodes: Vec<ServerNode>,
    pub default_source: Option<String>,
    pub default_sink: Option<String>,
}

fn name_of(d: &cpal::Device) -> String {
    d.id().map(|i| i.id().to_string()).unwrap_or_default()
}

/// Whether a server socket is configured at all (no connection attempt).
pub fn configured() -> bool {
    cpal::available_hosts().contains(&cpal::HostId::PulseAudio)
}

/// The process's one connection to the server (cpal's PulseAudio client), made on first use and
/// remade when the old one stops answering (a dead connection's reactor thread exits on EOF).
/// One connection rather than one per call: the `pulseaudio` crate's reactor thread outlives a
/// dropped live client (measured: 17 leftover threads after 100 start/close cycles).
pub fn shared_host() -> Result<Arc<cpal::Host>, cpal::Error> {
    static SHARED: Mutex<Option<Arc<cpal::Host>>> = Mutex::new(None);
    let mut shared = SHARED.lock();
    if let Some(h) = shared.as_ref() {
        if h.default_output_device().is_some() || h.devices().is_ok() {
            return Ok(h.clone());
        }
        *shared = None;
    }
    let h = Arc::new(cpal::host_from_id(cpal::HostId::PulseAudio)?);
    *shared = Some(h.clone());
    Ok(h)
}

/// Asks the server, if one answers. `None`: no server (or it refused).
pub fn query() -> Option<ServerInfo> {
    if !configured() {
        return None;
    }
    query_on(&*shared_host().ok()?)
}

/// Asks the server behind an open PulseAudio host (no second connection).
pub fn query_on(host: &cpal::Host) -> Option<ServerInfo> {
    let devices = host.devices().ok()?;
    let nodes = devices
        .map(|d| {
            let name = name_of(&d);
            let desc = d.description().ok();
            let sink = desc
                .as_ref()
                .is_some_and(|x| matches!(x.direction(), DeviceDirection::Output));
            let config = if sink {
                d.default_output_config()
            } else {
                d.default_input_config()
            };
            ServerNode {
                description: desc.map(|x| x.name().to_string()).unwrap_or(name.clone()),
                monitor: !sink && name.ends_with(".monitor"),
                sink,
                config: config.ok().map(|c| ConfigInfo {
                    sample_rate: c.sample_rate(),
                    channels: c.channels(),
                    format: format_name(c.sample_format()),
                }),
                name,
            }
        })
        .collect();
    Some(ServerInfo {
        nodes,
        default_source: host.default_input_device().map(|d| name_of(&d)),
        default_sink: host.default_output_device().map(|d| name_of(&d)),
    })
}

/// The server's socket, as libpulse finds it: `PULSE_SERVER` (`unix:` entries), else
/// `$XDG_RUNTIME_DIR/pulse/native`.
pub fn socket_path() -> Option<PathBuf> {
    let from_env = std::env::var("PULSE_SERVER").ok().and_then(|s| {
        s.split_whitespace()
            .find_map(|e| e.strip_prefix("unix:").map(PathBuf::from))
    });
    from_env.or_else(|| {
        std::env::var_os("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("pulse/native"))
    })
}

/// Whether a server accepts connections on `path` (a local connect, answered by the kernel
/// from the listen backlog: microseconds, never blocks on the server).
pub fn accepts(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}
