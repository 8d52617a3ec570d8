//! Opening a device source ([`DeviceSource`]'s `open`, part of `stream.rs`): resolves the
//! device, negotiates its config, builds the cpal input stream with its data callback
//! (`callback.rs`) and error callback, starts it, and watches an explicitly chosen server source
//! for its removal.
//!
//! Threads: runs on the JS thread, or on the reconnect thread when a capture with `reconnect`
//! reopens its device (`reconnect.rs`). The error callback built here runs on a cpal thread (for
//! ALSA, the audio thread): it bumps atomics and hands the error on (lock-free push, unpark).
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

use super::super::callback::data_callback;
use super::super::devices::format_name;
use super::super::hosts::{convert_error, is_transient};
use super::super::link::Link;
use super::super::platform;
use super::super::resolve::{resolve, Resolved};
use super::{DeviceConfig, DeviceSource, OpenedDevice, STALL_NS};
use crate::core::{Chain, Counters, OutputFormat, Pipeline};
use crate::error::{Error, ErrorKind};

impl DeviceSource {
    pub(super) fn open(
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
