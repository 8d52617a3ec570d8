//! The process-wide subscription hub: one connection of its own to the PulseAudio or PipeWire
//! (pipewire-pulse) server, subscribed to source, sink, server, source-output and card events,
//! fanned out to every [`Listener`]. cpal has no hot-plug API (cpal issue #373), so the hub speaks
//! the native protocol itself with the `pulseaudio` crate (already in the tree through cpal's
//! PulseAudio host); the wire part is `subscribe_wire.rs`, the hub itself (its thread, its
//! connection, its listeners and their guards) `subscribe_hub.rs`.
//!
//! This file: where the server is, the process's one hub and its entry points ([`subscribe`],
//! [`hub_stats`]), and the one-shot questions asked of the server on connections of their own.
//!
//! Threads: `subscribe` and guard drops on any thread; each question on the thread that asks it
//! (its doc says which).

use std::io;
use std::os::unix::net::UnixStream;
use std::sync::LazyLock;

use pulseaudio::protocol::Prop;

use super::pulse_addr::{self, Addr};
use super::server_event::{HubStats, Listener};
use super::subscribe_hub::Hub;
pub use super::subscribe_hub::SubscriptionGuard;
use super::subscribe_wire::Connection;
use crate::error::Error;

/// Where the server is: the socket cpal's PulseAudio client connects to
/// ([`pulse_addr::crate_server`]), the server `listDevices()` reads.
fn connect() -> io::Result<UnixStream> {
    // The server the device listing comes from: cpal's PulseAudio client's socket.
    match pulse_addr::crate_server(&|k: &str| std::env::var_os(k)) {
        Some(Addr::Unix(path)) => UnixStream::connect(path),
        _ => Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no sound server configured",
        )),
    }
}

static HUB: LazyLock<Hub> = LazyLock::new(|| Hub::new(connect));

/// Registers `listener` for every server event until the returned guard is dropped; starts the
/// hub thread if it is the first listener.
///
/// # Errors
/// [`ErrorKind::ThreadSpawn`] when the OS refuses to start the hub thread (the listener is not
/// registered).
///
/// [`ErrorKind::ThreadSpawn`]: crate::error::ErrorKind::ThreadSpawn
pub fn subscribe(listener: Listener) -> Result<SubscriptionGuard, Error> {
    HUB.subscribe(listener)
}

/// The server's index of source `name` now, asked on a connection of its own (`None`: no server,
/// or no such source). Threads: the JS thread or the reconnect thread, when a device opens.
pub fn source_index(name: &str) -> Option<u32> {
    Connection::source_index(connect().ok()?, name).ok()
}

/// The server's record streams of this process on source `source` now: their indices (empty
/// when the server cannot be asked). Threads: where a device opens, as [`source_index`].
pub fn own_outputs_on(source: u32) -> Vec<u32> {
    let pid = std::process::id().to_string();
    let Some(list) = connect()
        .ok()
        .and_then(|s| Connection::source_outputs(s).ok())
    else {
        return Vec::new();
    };
    list.iter()
        .filter(|o| o.source_index == source)
        .filter(|o| {
            let v = o.props.get(Prop::ApplicationProcessId).unwrap_or_default();
            v.strip_suffix(&[0]).unwrap_or(v) == pid.as_bytes()
        })
        .map(|o| o.index)
        .collect()
}

/// The source a default capture follows, as the server names it now: its default source, or
/// with `loopback` its default sink's monitor (`None`: no server, or no such default).
/// Threads: the hub thread (a listener, once per server change event) and the reconnect thread.
pub fn default_source(loopback: bool) -> Option<String> {
    let (source, sink) = Connection::defaults(connect().ok()?).ok()?;
    if loopback {
        sink.map(|s| format!("{s}.monitor"))
    } else {
        source
    }
}

/// Every playback stream of the server now (`None`: no server, or it cannot be asked). Threads:
/// the JS thread (`listApplications()`, an application capture's start) and an application
/// capture's control thread.
pub fn sink_inputs() -> Option<Vec<pulseaudio::protocol::SinkInputInfo>> {
    Connection::sink_inputs(connect().ok()?).ok()
}

/// The monitor source of sink `sink` (`None`: gone, or the server cannot be asked). Threads: an
/// application capture's control thread.
pub fn sink_monitor(sink: u32) -> Option<u32> {
    Connection::sink(connect().ok()?, sink)
        .ok()?
        .monitor_source_index
}

/// The socket and cookie of the server the hub connects to (an application capture's own
/// client connects there too).
pub fn server_socket() -> io::Result<UnixStream> {
    connect()
}

/// The source record stream `output` reads now (`None`: gone, or the server cannot be asked).
/// Threads: the hub thread (a listener), once per change event of a watched stream.
pub fn source_of_output(output: u32) -> Option<u32> {
    Connection::source_output(connect().ok()?, output)
        .ok()
        .map(|o| o.source_index)
}

/// Listeners, threads and connections of the process-wide hub.
pub fn hub_stats() -> HubStats {
    HUB.stats()
}
