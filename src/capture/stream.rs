//! The device source: opens a cpal input stream in a config the device supports and feeds its
//! callback through the conversion chain into the packetizer.
//!
//! Threads: `start`/`stop` run on the JS thread. The data callback runs on cpal's audio thread
//! and is real-time safe (no allocation, no lock, no napi call, no panic): it converts into pool
//! slots and wakes the relay. The error callback runs on a cpal thread (for ALSA, the audio
//! thread): it only bumps atomics and pushes the already-built error onto a lock-free queue.
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

use super::devices::{format_name, DeviceSpec};
use super::hosts::{convert_error, is_transient};
use super::loss::LossDetector;
use super::platform;
use super::resolve::{resolve, Resolved};
use crate::core::{Chain, ChannelMap, Counters, MissPolicy, OutputFormat, Packetizer, Pipeline};
use crate::error::{Error, ErrorKind};

/// A capture-time jump this far past the expected time counts as a gap (a discontinuity).
const GAP_NS: u64 = 50_000_000;
/// How long stop() waits for a host to tear its stream down.
const STOP_WAIT: Duration = Duration::from_secs(2);
/// A device silent this long while running is reported as lost (see the relay's watchdog).
const STALL_NS: u64 = 3_000_000_000;

#[derive(Clone, Debug, PartialEq)]
pub struct DeviceConfig {
    /// `None`: the host the device id names, else the platform default host.
    pub host: Option<String>,
    pub device: DeviceSpec,
    pub loopback: bool,
    pub channel_map: ChannelMap,
    /// Frames per device buffer (`None`: the host's default).
    pub buffer_frames: Option<u32>,
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
}

impl DeviceSource {
    pub fn start(
        cfg: &DeviceConfig,
        pipeline: Arc<Pipeline>,
        relay: Thread,
    ) -> Result<Self, Error> {
        let Resolved {
            host,
            device,
            id,
            name,
            output_loopback,
            server_lost: lost,
        } = resolve(cfg.host.as_deref(), &cfg.device, cfg.loopback)?;
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
        let data_cb = data_callback(pipeline.clone(), relay.clone(), chain, rate);
        if let Some(probe) = lost.clone() {
            let _ = pipeline.liveness.set(Box::new(move || probe()));
        }
        let err_pipeline = pipeline.clone();
        let err_cb = move |e: cpal::Error| {
            if is_transient(&e) {
                if e.kind() == cpal::ErrorKind::Xrun {
                    Counters::add(&err_pipeline.counters.xruns, 1);
                }
                err_pipeline.gap_pending.store(true, Ordering::Release);
            } else if err_pipeline.is_running() {
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
                err_pipeline.fail(err);
                relay.unpark();
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
            .map_err(|e| convert_error(&e, true, &format!("cannot open '{id}'")))?;
        pipeline
            .last_data_ns
            .store(pipeline.now_ns(), Ordering::Release);
        pipeline.stall_after_ns.store(STALL_NS, Ordering::Release);
        stream
            .play()
            .map_err(|e| convert_error(&e, true, &format!("cannot start '{id}'")))?;
        Ok(Self {
            stream,
            pipeline,
            opened,
        })
    }

    /// Stops the stream. Dropping it drops the callback's packetizer, which delivers the last,
    /// partial packet and wakes the relay. The drop runs on a helper thread: a host can block in
    /// its teardown when its server is gone, and the JS thread must never wait for that. A live
    /// stream is waited for at most [`STOP_WAIT`] (so the last packet is delivered); a capture
    /// that already failed (its device or server lost) is not waited for at all.
    pub fn stop(self) {
        let Self {
            stream, pipeline, ..
        } = self;
        let failed = !pipeline.errors.is_empty();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("pcmtap-stream-drop".into())
            .spawn(move || {
                let _ = stream.pause();
                drop(stream);
                let _ = tx.send(());
            });
        if spawned.is_ok() && !failed {
            let _ = rx.recv_timeout(STOP_WAIT);
        }
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

fn data_callback(
    pipeline: Arc<Pipeline>,
    relay: Thread,
    mut chain: Chain,
    rate: u32,
) -> impl FnMut(&cpal::Data, &cpal::InputCallbackInfo) + Send + 'static {
    let pk = Packetizer::new(pipeline.clone(), relay, MissPolicy::Drop);
    let mut st = CallbackState {
        pk,
        loss: LossDetector::new(rate),
        pipeline: pipeline.clone(),
    };
    let mut offset: Option<i128> = None;
    let mut expected: Option<u64> = None;
    move |data, info| {
        if !pipeline.is_running() {
            return;
        }
        let pk = &mut st.pk;
        if pipeline.gap_pending.swap(false, Ordering::AcqRel) {
            pk.mark_gap();
        }
        let now = pipeline.now_ns();
        pipeline.last_data_ns.store(now, Ordering::Release);
        let ts = info.timestamp();
        let off = *offset
            .get_or_insert_with(|| pipeline.now_ns() as i128 - ts.callback.as_nanos() as i128);
        let t = (ts.capture.as_nanos() as i128 + off).max(0) as u64;
        let frames = (data.len() / chain_channels(&chain)) as u64;
        if let Some(lost) = st.loss.delivered(frames, now) {
            count_lost(&pipeline, lost, rate);
            pk.mark_gap();
        }
        if let Some(e) = expected {
            if t > e + GAP_NS {
                pk.mark_gap();
            }
        }
        expected = Some(t + frames * 1_000_000_000 / rate as u64);
        use SampleFormat as F;
        match data.sample_format() {
            F::I8 => push(&mut chain, data.as_slice::<i8>(), t, pk),
            F::I16 => push(&mut chain, data.as_slice::<i16>(), t, pk),
            F::I32 => push(&mut chain, data.as_slice::<i32>(), t, pk),
            F::I64 => push(&mut chain, data.as_slice::<i64>(), t, pk),
            F::U8 => push(&mut chain, data.as_slice::<u8>(), t, pk),
            F::U16 => push(&mut chain, data.as_slice::<u16>(), t, pk),
            F::U32 => push(&mut chain, data.as_slice::<u32>(), t, pk),
            F::U64 => push(&mut chain, data.as_slice::<u64>(), t, pk),
            F::F32 => push(&mut chain, data.as_slice::<f32>(), t, pk),
            F::F64 => push(&mut chain, data.as_slice::<f64>(), t, pk),
            _ => {}
        }
    }
}

/// The data callback's state. Dropped when the stream is (stop): counts a loss still open, then
/// the packetizer delivers its partial packet.
struct CallbackState {
    pk: Packetizer,
    loss: LossDetector,
    pipeline: Arc<Pipeline>,
}

impl Drop for CallbackState {
    fn drop(&mut self) {
        if let Some(lost) = self.loss.finish(self.pipeline.now_ns()) {
            count_lost(&self.pipeline, lost, self.loss_rate());
            self.pk.mark_gap();
        }
    }
}

impl CallbackState {
    fn loss_rate(&self) -> u32 {
        self.loss.rate()
    }
}

/// Counts `lost` device frames (at `rate`) as dropped output frames (the caller flags the gap).
fn count_lost(p: &Pipeline, lost: u64, rate: u32) {
    let out = (lost as u128 * p.layout.sample_rate as u128 / rate.max(1) as u128) as u64;
    Counters::add(&p.counters.dropped_frames, out);
}

fn chain_channels(chain: &Chain) -> usize {
    chain.input_channels()
}

#[inline]
fn push<S: crate::core::Sample>(
    chain: &mut Chain,
    samples: Option<&[S]>,
    t: u64,
    pk: &mut Packetizer,
) {
    if let Some(s) = samples {
        chain.process(s, t, pk);
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
