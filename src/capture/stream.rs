//! The device source: opens a cpal input stream in a config the device supports and feeds its
//! callback (`callback.rs`) through the conversion chain into the packetizer.
//!
//! Threads: `start`/`stop` run on the JS thread, or on the reconnect thread when a capture
//! with `reconnect` reopens its device (`reconnect.rs`). The data callback runs on cpal's audio
//! thread and is real-time safe (no allocation, no lock, no napi call, no panic): it converts
//! into pool slots and wakes the relay. The error callback runs on a cpal thread (for ALSA, the
//! audio thread): it bumps atomics and hands the error on (lock-free push, unpark).
//!
//! Negotiation: the device is opened at its own default rate and channel count (the rate its
//! sound server runs at, so the server does not resample), in the requested sample type when
//! the device offers it at that rate, else its default type. pcmtap then converts: format,
//! channels (average down, duplicate up, or `channelMap`) and rate (sinc resampler).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{BufferSize, SampleFormat, SupportedBufferSize};

use super::alsa_log::quietly;
use super::callback::data_callback;
use super::devices::{format_name, DeviceSpec};
use super::hosts::{convert_error, is_transient};
use super::link::{Link, ReconnectPolicy};
use super::platform;
use super::resolve::{resolve, Resolved, ServerLost};
use crate::core::{Chain, ChannelMap, Counters, OutputFormat, Pipeline, PROBE_AFTER_NS};
use crate::error::{Error, ErrorKind};

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

    fn open(
        cfg: &DeviceConfig,
        pipeline: Arc<Pipeline>,
        relay: Thread,
        link: Option<Arc<Link>>,
        announce: &dyn Fn(&OpenedDevice),
    ) -> Result<Self, Error> {
        let Resolved {
            host,
            device,
            id,
            name,
            output_loopback,
            server_lost: lost,
            explicit_source,
            default_source,
        } = resolve(cfg.host.as_deref(), &cfg.device, cfg.loopback)?;
        // A default capture that does not follow the default keeps the device it opened: it is
        // watched as an explicitly chosen one (never moved to another device without a word).
        let (explicit_source, default_source) = if cfg.follows() {
            (None, default_source.or(explicit_source))
        } else {
            (explicit_source.or(default_source), None)
        };
        let default = if output_loopback {
            device.default_output_config()
        } else {
            device.default_input_config()
        }
        .map_err(|e| convert_error(&e, true, &format!("cannot read the config of '{id}'")))?;
        let (rate, channels) = (default.sample_rate(), default.channels());
        let format = pick_format(
            &device,
            default.sample_format(),
            rate,
            channels,
            pipeline.layout.format,
        )
        .ok_or_else(|| {
            Error::new(
                ErrorKind::UnsupportedConfig,
                format!(
                    "'{id}' delivers {}, which pcmtap cannot convert",
                    format_name(default.sample_format())
                ),
            )
        })?;
        platform::check_buffer_frames(host.id(), cfg.buffer_frames)?;
        let buffer_size = match (cfg.buffer_frames, default.buffer_size()) {
            (Some(n), SupportedBufferSize::Range { min, max }) if (*min..=*max).contains(&n) => {
                BufferSize::Fixed(n)
            }
            (Some(n), SupportedBufferSize::Unknown) => BufferSize::Fixed(n),
            (Some(n), SupportedBufferSize::Range { min, max }) => {
                return Err(Error::new(
                    ErrorKind::UnsupportedConfig,
                    format!("bufferFrames {n} is outside what '{id}' supports ({min} ..= {max})"),
                ))
            }
            (None, _) => platform::default_buffer_frames(host.id())
                .map_or(BufferSize::Default, BufferSize::Fixed),
        };
        let layout = pipeline.layout;
        let chain = Chain::new(
            channels as usize,
            rate,
            layout.channels as usize,
            layout.sample_rate,
            &cfg.channel_map,
        )
        .map_err(|m| Error::new(ErrorKind::UnsupportedConfig, m))?;
        let opened = OpenedDevice {
            id: id.clone(),
            name,
            host: host.id().to_string(),
            sample_rate: rate,
            channels,
            format: format_name(format),
            buffer_frames: match buffer_size {
                BufferSize::Fixed(n) => Some(n),
                _ => None,
            },
            passthrough: chain.is_passthrough(),
            resampling: rate != layout.sample_rate,
        };
        let config = cpal::StreamConfig {
            channels,
            sample_rate: rate,
            buffer_size,
        };
        announce(&opened);
        let cb_link = link
            .clone()
            .unwrap_or_else(|| Arc::new(Link::new(pipeline.now_ns())));
        let data_cb = data_callback(
            pipeline.clone(),
            relay.clone(),
            cb_link.clone(),
            chain,
            rate,
        );
        if let (Some(probe), None) = (lost.clone(), &link) {
            let _ = pipeline.liveness.set(Box::new(move || probe()));
        }
        let server_lost = lost.clone();
        let (relay_for_watch, link_for_watch) = (relay.clone(), link.clone());
        // A reconnect thread watches the stream (else the relay's watchdog does).
        let watched = link.is_some();
        let err_pipeline = pipeline.clone();
        let mut reported = false;
        let err_cb = move |e: cpal::Error| {
            if is_transient(&e) {
                if e.kind() == cpal::ErrorKind::Xrun {
                    Counters::add(&err_pipeline.counters.xruns, 1);
                }
                err_pipeline.gap_pending.store(true, Ordering::Release);
            } else if err_pipeline.is_running() && !std::mem::replace(&mut reported, true) {
                // The first fatal error only (a dead plugin repeats its error on every poll).
                // Through a server, a fatal error while running is its connection failing (the
                // plugin reports EIO, sometimes before the server's socket is gone): DEVICE_LOST.
                let err = match &lost {
                    Some(probe) => probe().unwrap_or_else(|| {
                        Error::new(
                            ErrorKind::DeviceLost,
                            format!("the sound server connection failed: {e}"),
                        )
                    }),
                    None => convert_error(&e, false, "capture failed"),
                };
                match &link {
                    Some(l) if err.kind == ErrorKind::DeviceLost => l.report_loss(err),
                    _ => {
                        err_pipeline.fail(err);
                        relay.unpark();
                    }
                }
            }
        };
        let stream = device
            .build_input_stream_raw(
                config,
                format,
                data_cb,
                err_cb,
                Some(Duration::from_secs(5)),
            )
            .map_err(|e| {
                let context = if output_loopback {
                    format!("loopback: true: this host cannot capture what '{id}' plays")
                } else {
                    format!("cannot open '{id}'")
                };
                convert_error(&e, true, &context)
            })?;
        pipeline
            .last_data_ns
            .store(pipeline.now_ns(), Ordering::Release);
        if !watched {
            pipeline.stall_after_ns.store(STALL_NS, Ordering::Release);
        }
        stream
            .play()
            .map_err(|e| convert_error(&e, true, &format!("cannot start '{id}'")))?;
        // An explicitly chosen server source that the server removes, or moves the stream off,
        // ends the capture (or, with `reconnect`, waits for it): after the stream started, so
        // the server knows it (`removal.rs`).
        let p = pipeline.clone();
        let removal = explicit_source.as_deref().and_then(move |source| {
            let (relay, link) = (relay_for_watch, link_for_watch);
            platform::watch_removal(source, &id, move |err| match &link {
                Some(l) => l.report_loss(err),
                None if p.is_running() => {
                    p.fail(err);
                    relay.unpark();
                }
                None => {}
            })
        });
        Ok(Self {
            stream,
            pipeline,
            opened,
            server_lost,
            link: cb_link,
            _removal: removal,
            default_source,
        })
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

/// The sample type to open: the one matching the output when the device offers it at `rate`
/// and `channels`, else the device default, if pcmtap can convert it.
fn pick_format(
    d: &cpal::Device,
    default: SampleFormat,
    rate: u32,
    channels: u16,
    out: OutputFormat,
) -> Option<SampleFormat> {
    let wanted = match out {
        OutputFormat::S16 => SampleFormat::I16,
        OutputFormat::F32 => SampleFormat::F32,
    };
    let offered = d.supported_input_configs().ok().is_some_and(|mut cs| {
        cs.any(|c| {
            c.sample_format() == wanted
                && c.channels() == channels
                && (c.min_sample_rate()..=c.max_sample_rate()).contains(&rate)
        })
    });
    if offered || default == wanted {
        return Some(wanted);
    }
    use SampleFormat::*;
    matches!(
        default,
        I8 | I16 | I32 | I64 | U8 | U16 | U32 | U64 | F32 | F64
    )
    .then_some(default)
}
