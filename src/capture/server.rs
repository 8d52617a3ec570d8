//! The PulseAudio or PipeWire (pipewire-pulse) server as its users know it: its sources
//! (microphones and sink monitors) with their human descriptions, its sinks, and its defaults.
//! Read through cpal's PulseAudio host, which speaks the native protocol (no libpulse).
//!
//! A server that accepts connections is asked again when it drops a connection or answers
//! without a default source (one still starting, or starved on a loaded machine, does both for
//! a few milliseconds): pcmtap never takes such a moment for "no server" and silently opens
//! ALSA's `default` PCM instead of the server's default source. One that accepts but keeps
//! failing is an error naming it ([`ErrorKind::HostUnavailable`]).
//!
//! Threads: JS thread. One connection per process ([`shared_host`]).

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::DeviceDirection;

use super::devices::{format_name, ConfigInfo};
use super::pulse_addr::{self, Addr};
use crate::error::{Error, ErrorKind};

/// The waits before asking a server that accepts connections again (350 ms in all).
const RETRY_WAITS_MS: [u64; 3] = [50, 100, 200];

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
/// dropped live client (measured: 17 leftover threads after 100 start/close cycles). A server
/// that accepts connections but drops the first ones is asked again ([`RETRY_WAITS_MS`]).
pub fn shared_host() -> Result<Arc<cpal::Host>, cpal::Error> {
    static SHARED: Mutex<Option<Arc<cpal::Host>>> = Mutex::new(None);
    let mut shared = SHARED.lock();
    if let Some(h) = shared.as_ref() {
        if h.default_output_device().is_some() || h.devices().is_ok() {
            return Ok(h.clone());
        }
        *shared = None;
    }
    let mut waits = RETRY_WAITS_MS.iter();
    let h = loop {
        match cpal::host_from_id(cpal::HostId::PulseAudio) {
            Ok(h) => break Arc::new(h),
            Err(e) => match waits.next() {
                Some(ms) if listening() => std::thread::sleep(Duration::from_millis(*ms)),
                _ => return Err(e),
            },
        }
    };
    *shared = Some(h.clone());
    Ok(h)
}

/// Whether the server's socket accepts connections (someone is there to ask again).
fn listening() -> bool {
    crate_socket().is_some_and(|a| a.accepts())
}

/// An answer worth keeping: the server names a default source, or has no source to name.
fn settled(info: &ServerInfo) -> bool {
    info.default_source.is_some() || info.nodes.iter().all(|n| n.sink)
}

/// Asks with `ask` until the answer settles, again after each of [`RETRY_WAITS_MS`] while the
/// socket accepts connections. `Ok(None)`: nobody is there; an error: somebody is, and never
/// answered.
fn ask_settled(mut ask: impl FnMut() -> Option<ServerInfo>) -> Result<Option<ServerInfo>, Error> {
    let mut waits = RETRY_WAITS_MS.iter();
    loop {
        let info = ask();
        if info.as_ref().is_some_and(settled) {
            return Ok(info);
        }
        let up = listening();
        match waits.next() {
            Some(ms) if up => std::thread::sleep(Duration::from_millis(*ms)),
            _ if info.is_some() || !up => return Ok(info),
            _ => {
                let at = crate_socket().map_or_else(String::new, |a| a.to_string());
                return Err(Error::new(
                    ErrorKind::HostUnavailable,
                    format!(
                        "the sound server at {} accepts connections but does not answer \
                         (asked {} times in {} ms)",
                        at,
                        RETRY_WAITS_MS.len() + 1,
                        RETRY_WAITS_MS.iter().sum::<u64>()
                    ),
                ));
            }
        }
    }
}

/// Asks the server, if one is configured: `Ok(None)` when none is, or nothing accepts
/// connections; an error when one accepts connections but does not answer.
pub fn query() -> Result<Option<ServerInfo>, Error> {
    if !configured() {
        return Ok(None);
    }
    ask_settled(|| shared_host().ok().and_then(|h| ask(&h)))
}

/// Asks the server behind an open PulseAudio host (no second connection), as [`query`] does.
pub fn query_on(host: &cpal::Host) -> Result<Option<ServerInfo>, Error> {
    ask_settled(|| ask(host))
}

/// One question to the server: its sources, sinks and defaults.
fn ask(host: &cpal::Host) -> Option<ServerInfo> {
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

/// The socket cpal's PulseAudio host connects to ([`pulse_addr::crate_server`]).
fn crate_socket() -> Option<Addr> {
    pulse_addr::crate_server(&|k: &str| std::env::var_os(k))
}
