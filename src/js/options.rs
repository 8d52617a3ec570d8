//! The options the JS wrapper passes to the native capture, already normalized (every field
//! present, defaults applied) and validated with Node's error codes by `lib/options.js`. They
//! are checked again here so that no input, even one that bypasses the wrapper, can reach the
//! core invalid.
//!
//! Threads: JS thread.

use napi_derive::napi;

use std::time::Duration;

use crate::capture::{AppConfig, AppSelect, DeviceConfig, DeviceSpec, ReconnectPolicy};
use crate::core::{ChannelMap, OutputFormat, PacketLayout};
use crate::session::SourceConfig;
use crate::source::{InputFormat, SyntheticConfig, Waveform};

/// Largest pool accepted (slots of 4096 bytes: 256 MiB).
pub const MAX_POOL_SIZE: u32 = 65_536;

#[napi(object)]
pub struct NativeSyntheticOptions {
    /// `'sine' | 'silence' | 'counter'`.
    pub waveform: String,
    /// Hz, > 0 and below half the sample rate.
    pub frequency: f64,
    /// 0 ..= 1.
    pub amplitude: f64,
    pub paced: bool,
    /// Frames per block, cycled; each 1 ..= 65536.
    pub block_frames: Vec<u32>,
    /// `'i16' | 'i32' | 'f32'`: what the source delivers before conversion.
    pub sample_format: String,
}

/// `reconnect` as `lib/options.js` normalized it (absent: off).
#[napi(object)]
pub struct NativeReconnectOptions {
    /// Milliseconds before the first attempt after a loss, 10 ..= 60000.
    pub initial_delay: u32,
    /// Longest wait between attempts, in ms, initialDelay ..= 300000.
    pub max_delay: u32,
    /// Give up after the device has been away this many ms (absent: never), 100 ..= 86400000.
    pub give_up_after: Option<u32>,
}

/// `application` (or `loopback: { exclude }`) as `lib/options.js` normalized it: exactly one
/// field present.
#[napi(object)]
pub struct NativeApplicationOptions {
    pub pid: Option<u32>,
    pub name: Option<String>,
    pub exclude: Option<Vec<u32>>,
}

#[napi(object)]
pub struct NativeOptions {
    /// `'device' | 'synthetic'`.
    pub source: String,
    /// Host name (`'alsa'`, `'pulseaudio'`, …); absent: the platform default.
    pub host: Option<String>,
    /// Device id or case-insensitive name substring; absent: the default input device.
    pub device: Option<String>,
    /// Exact device id (from `device: { id }`).
    pub device_id: Option<String>,
    /// Capture what the machine plays.
    pub loopback: bool,
    /// For each output channel, the device channel it comes from.
    pub channel_map: Option<Vec<u32>>,
    /// Frames per device buffer; absent: the host default.
    pub buffer_frames: Option<u32>,
    pub sample_rate: u32,
    pub channels: u32,
    /// `'s16' | 'f32'`.
    pub format: String,
    pub frames_per_packet: u32,
    pub pool_size: u32,
    pub use_external_buffer: bool,
    /// Copy instead of lending when lending would leave fewer free slots than this.
    pub low_water_mark: u32,
    /// Present exactly when `source` is `'synthetic'`.
    pub synthetic: Option<NativeSyntheticOptions>,
    /// Reopen a lost device (device sources only); absent: a loss ends the capture.
    pub reconnect: Option<NativeReconnectOptions>,
    /// A capture of the default device follows the default when it changes (absent: true).
    pub follow_default: Option<bool>,
    /// One application's audio, or everything but some (device sources only; no `device`).
    pub application: Option<NativeApplicationOptions>,
}

/// What the session and the delivery are built from.
pub struct Parsed {
    pub layout: PacketLayout,
    pub pool_size: usize,
    pub source: SourceConfig,
}

pub fn parse(o: &NativeOptions) -> Result<Parsed, String> {
    let format = OutputFormat::parse(&o.format)
        .ok_or_else(|| format!("format must be 's16' or 'f32', got {:?}", o.format))?;
    if !(1..=32).contains(&o.channels) {
        return Err(format!("channels must be 1 ..= 32, got {}", o.channels));
    }
    if !(1_000..=384_000).contains(&o.sample_rate) {
        return Err(format!(
            "sampleRate must be 1000 ..= 384000, got {}",
            o.sample_rate
        ));
    }
    let layout = PacketLayout {
        sample_rate: o.sample_rate,
        channels: o.channels as u16,
        format,
        frames_per_packet: o.frames_per_packet,
    };
    if !layout.is_valid() {
        let max = PacketLayout::max_frames_per_packet(layout.channels, format);
        return Err(format!(
            "framesPerPacket must be 1 ..= {max}, got {}",
            o.frames_per_packet
        ));
    }
    if !(1..=MAX_POOL_SIZE).contains(&o.pool_size) {
        return Err(format!(
            "poolSize must be 1 ..= {MAX_POOL_SIZE}, got {}",
            o.pool_size
        ));
    }
    if o.low_water_mark >= o.pool_size {
        return Err(format!(
            "lowWaterMark must be below poolSize, got {}",
            o.low_water_mark
        ));
    }
    if let Some(a) = &o.application {
        if o.source != "device"
            || o.device.is_some()
            || o.device_id.is_some()
            || o.reconnect.is_some()
        {
            return Err("application takes no synthetic source, device or reconnect".into());
        }
        let select = match (a.pid, &a.name, &a.exclude) {
            (Some(pid), None, None) if pid > 0 => AppSelect::Pid(pid),
            (None, Some(n), None) if !n.is_empty() => AppSelect::Name(n.clone()),
            (None, None, Some(x)) if !x.is_empty() => AppSelect::Exclude(x.clone()),
            _ => {
                return Err(
                    "application must be exactly one of { pid }, { name }, { exclude }".into(),
                )
            }
        };
        return Ok(Parsed {
            layout,
            pool_size: o.pool_size as usize,
            source: SourceConfig::Application(AppConfig { select }),
        });
    }
    if o.source == "device" {
        let device = match (&o.device_id, &o.device) {
            (Some(id), _) => DeviceSpec::Id(id.clone()),
            (None, Some(q)) => DeviceSpec::Query(q.clone()),
            (None, None) => DeviceSpec::Default,
        };
        let channel_map = match &o.channel_map {
            Some(m) if m.len() != o.channels as usize => {
                return Err(format!(
                    "channelMap must have {} entries, got {}",
                    o.channels,
                    m.len()
                ))
            }
            Some(m) => ChannelMap::Explicit(m.iter().map(|&c| c as usize).collect()),
            None => ChannelMap::Auto,
        };
        let source = SourceConfig::Device(DeviceConfig {
            host: o.host.clone(),
            loopback: o.loopback,
            channel_map,
            buffer_frames: o.buffer_frames,
            reconnect: o.reconnect.as_ref().map(policy).transpose()?,
            // Only a capture of the default follows it (`'default'` is the default too).
            follow_default: o.follow_default.unwrap_or(true)
                && (o.loopback
                    || matches!(&device, DeviceSpec::Default)
                    || matches!(&device, DeviceSpec::Query(q) if q == "default")),
            device,
        });
        return Ok(Parsed {
            layout,
            pool_size: o.pool_size as usize,
            source,
        });
    }
    if o.reconnect.is_some() {
        return Err("reconnect is only for device sources".into());
    }
    if o.source != "synthetic" {
        return Err(format!(
            "source must be 'device' or 'synthetic', got {:?}",
            o.source
        ));
    }
    let s = o
        .synthetic
        .as_ref()
        .ok_or_else(|| "synthetic options missing for the synthetic source".to_string())?;
    let waveform = match s.waveform.as_str() {
        "sine" => Waveform::Sine {
            frequency: s.frequency,
            amplitude: s.amplitude,
        },
        "silence" => Waveform::Silence,
        "counter" => Waveform::Counter,
        w => {
            return Err(format!(
                "synthetic.waveform must be 'sine', 'silence' or 'counter', got {w:?}"
            ))
        }
    };
    let nyquist = o.sample_rate as f64 / 2.0;
    if !(s.frequency > 0.0 && s.frequency < nyquist && (0.0..=1.0).contains(&s.amplitude)) {
        return Err("synthetic.frequency or synthetic.amplitude out of range".into());
    }
    if s.block_frames.is_empty() || s.block_frames.iter().any(|&n| !(1..=65_536).contains(&n)) {
        return Err(
            "synthetic.blockFrames must be 1 ..= 65536 (or a non-empty list of such)".into(),
        );
    }
    let input = match s.sample_format.as_str() {
        "i16" => InputFormat::I16,
        "i32" => InputFormat::I32,
        "f32" => InputFormat::F32,
        f => {
            return Err(format!(
                "synthetic.sampleFormat must be 'i16', 'i32' or 'f32', got {f:?}"
            ))
        }
    };
    let source = SourceConfig::Synthetic(SyntheticConfig {
        waveform,
        paced: s.paced,
        block_frames: s.block_frames.clone(),
        input,
    });
    Ok(Parsed {
        layout,
        pool_size: o.pool_size as usize,
        source,
    })
}

fn policy(r: &NativeReconnectOptions) -> Result<ReconnectPolicy, String> {
    if r.initial_delay == 0 || r.max_delay < r.initial_delay {
        return Err(format!(
            "reconnect delays must be 0 < initialDelay <= maxDelay, got {} and {}",
            r.initial_delay, r.max_delay
        ));
    }
    let ms = |n: u32| Duration::from_millis(n as u64);
    Ok(ReconnectPolicy {
        initial_delay: ms(r.initial_delay),
        max_delay: ms(r.max_delay),
        give_up_after: r.give_up_after.map(ms),
    })
}
