//! The device source: opens a cpal input stream in a config the device supports and feeds its
//! callback (`callback.rs`) through the conversion chain into the packetizer. Opening (resolving
//! the device, negotiating its config, building the stream) is `stream_open.rs`; this file holds
//! the configs, the source and its stop.
//!
//! Threads: `start`/`stop` run on the JS thread, or on the reconnect thread when a capture
//! with `reconnect` reopens its device (`reconnect.rs`). The data callback (`callback.rs`) runs
//! on cpal's audio thread and is real-time safe (no allocation, no lock, no napi call, no panic):
//! it converts into pool slots and wakes the relay. The error callback (`stream_open.rs`) runs on
//! a cpal thread (for ALSA, the audio thread): it bumps atomics and hands the error on (lock-free
//! push, unpark).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::Duration;

use cpal::traits::StreamTrait;

use super::alsa_log::quietly;
use super::devices::DeviceSpec;
use super::link::{Link, ReconnectPolicy};
use super::platform;
use super::resolve::ServerLost;
use crate::core::{ChannelMap, Pipeline, PROBE_AFTER_NS};
use crate::error::Error;

// Opening the device: resolving, negotiating, building and starting the stream.
#[path = "stream_open.rs"]
mod open;

/// How long stop() waits for a host to tear its stream down.
pub const STOP_WAIT: Duration = Duration::from_secs(2);
/// A device silent this long while running is reported as lost (the relay's watchdog, or the
/// reconnect thread's).
pub const STALL_NS: u64 = 3_000_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct DeviceConfig {
    /// `None`: the host the device id names, else the platform default host.
    pub host: Option<String>,
    pub device: DeviceSpec,
    pub loopback: bool,
    pub channel_map: ChannelMap,
    /// Frames per device buffer (`None`: the host's default).
    pub buffer_frames: Option<u32>,
    /// Survive the device's loss: reopen it with this policy (`None`: a loss ends the capture).
    pub reconnect: Option<ReconnectPolicy>,
    /// A capture of the default (`device` absent or `'default'`, or `loopback: true`) that
    /// follows the server's default when it changes (`follow.rs`); `false` for every other
    /// capture, and for a default capture made with `followDefault: false`, which keeps the
    /// device it opened, watched like an explicitly chosen one. Kept when the capture's device
    /// is reopened by id (`reconnect.rs`): that device is then the default it follows.
    pub follow_default: bool,
}

impl DeviceConfig {
    /// Whether this capture follows the default: only where a sound server names the default
    /// (the server path). `follow_default` is set only for a capture of the default (or the
    /// same capture reopened by id).
    pub fn follows(&self) -> bool {
        cfg!(server_path) && self.follow_default
    }
}

/// What was actually opened (reported by `stats().device`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedDevice {
    pub id: String,
    pub name: String,
    pub host: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub format: String,
    /// Frames per buffer asked of the host (`bufferFrames`, or pcmtap's default for that host);
    /// `None`: the host's own default.
    pub buffer_frames: Option<u32>,
    pub passthrough: bool,
    pub resampling: bool,
}

pub struct DeviceSource {
    stream: cpal::Stream,
    pipeline: Arc<Pipeline>,
    pub opened: OpenedDevice,
    /// The liveness probe of the sound server the device goes through, if any.
    pub server_lost: Option<ServerLost>,
    /// The data callback's link (the capture's, with `reconnect`): tells when it is gone.
    link: Arc<Link>,
    /// Watches an explicitly chosen server source for its removal (`removal.rs`).
    _removal: Option<platform::RemovalWatch>,
    /// The server source this capture opened as the default, when it follows the default.
    pub default_source: Option<String>,
}

impl DeviceSource {
    /// Opens and starts the device. With `link` (a `reconnect` capture) a fatal host error goes
    /// to the reconnect thread watching `link` and the relay's watchdog stays off (that thread
    /// watches); without it, it fails the pipeline and the relay watches. libasound's messages
    /// stay off stderr, and become the error's cause when it fails (`alsa_log.rs`).
    pub fn start(
        cfg: &DeviceConfig,
        pipeline: Arc<Pipeline>,
        relay: Thread,
        link: Option<Arc<Link>>,
    ) -> Result<Self, Error> {
        quietly(|| Self::open(cfg, pipeline, relay, link, &|_| {}))
    }

    /// [`DeviceSource::start`], calling `announce` with the device chosen once its config is
    /// known and before its stream exists (so before any of its audio): a switch to a new
    /// default queues its `'devicechange'` there, ahead of the new device's first packet.
    pub fn start_announced(
        cfg: &DeviceConfig,
        pipeline: Arc<Pipeline>,
        relay: Thread,
        link: Option<Arc<Link>>,
        announce: &dyn Fn(&OpenedDevice),
    ) -> Result<Self, Error> {
        quietly(|| Self::open(cfg, pipeline, relay, link, announce))
    }

    /// Stops the stream. Dropping it drops the callback's packetizer, which delivers the last,
    /// partial packet and wakes the relay. The drop runs on a helper thread: a host can block in
    /// its teardown when its server is gone, and the JS thread must never wait for that. A live
    /// stream is waited for at most [`STOP_WAIT`] (so the last packet is delivered); a capture
    /// that already failed (its device or server lost), or a stream silent for longer than
    /// [`PROBE_AFTER_NS`] (a server that stopped answering: nothing is coming), is not waited for
    /// at all.
    pub fn stop(self) {
        let wait = if is_live(&self.pipeline) {
            STOP_WAIT
        } else {
            Duration::ZERO
        };
        self.stop_within(wait, true);
    }

    /// Stops the stream as [`DeviceSource::stop`] does, waiting at most `wait` for the host:
    /// for the stream, then (`callback`) for its data callback, which delivers the partial
    /// packet when it is dropped (cpal's PulseAudio host drops it on its client's thread, after
    /// the stream).
    pub fn stop_within(self, wait: Duration, callback: bool) {
        let t0 = std::time::Instant::now();
        let stream = self.stream;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("pcmtap-stream-drop".into())
            .spawn(move || {
                let _ = stream.pause();
                drop(stream);
                let _ = tx.send(());
            });
        if spawned.is_ok() && !wait.is_zero() && rx.recv_timeout(wait).is_ok() {
            while callback && self.link.callbacks() > 0 && t0.elapsed() < wait {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// Whether a running stream has a last packet worth waiting for at stop: no error, and audio
/// within the last [`PROBE_AFTER_NS`].
pub fn is_live(p: &Pipeline) -> bool {
    let silent = p
        .now_ns()
        .saturating_sub(p.last_data_ns.load(Ordering::Acquire));
    p.errors.is_empty() && silent <= PROBE_AFTER_NS
}
