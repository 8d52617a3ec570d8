//! The shape `stats()` returns (see index.d.ts for the documented public form).
//!
//! Threads: built on the JS thread from atomics; every counter is exact at the instant read.

use napi_derive::napi;

use std::sync::atomic::Ordering;

use crate::capture::{pulse_config, AppState, OpenedDevice};
use crate::core::{Counters, Pipeline};

#[napi(object)]
pub struct NativePoolStats {
    pub capacity: u32,
    pub free: u32,
    pub outstanding: u32,
    pub held_by_js: u32,
    pub high_water: u32,
    pub hits: f64,
    pub misses: f64,
    pub hit_rate: f64,
}

#[napi(object)]
pub struct NativeDeliveryStats {
    pub packets: f64,
    pub external: f64,
    pub copied: f64,
    pub low_water_copies: f64,
    pub released: f64,
    pub finalized: f64,
    pub queued: u32,
}

#[napi(object)]
pub struct NativeAudioStats {
    pub frames: f64,
    pub dropped_frames: f64,
    pub discontinuities: f64,
    pub xruns: f64,
    pub disconnects: f64,
    pub reconnects: f64,
    pub gap_frames: f64,
    /// Switches of a default capture to a new default device (`'devicechange'`).
    pub device_changes: f64,
}

#[napi(object)]
pub struct NativeDeviceStats {
    pub id: String,
    pub name: String,
    pub host: String,
    pub sample_rate: u32,
    pub channels: u32,
    pub format: String,
    pub buffer_frames: Option<u32>,
    pub passthrough: bool,
    pub resampling: bool,
}

/// What pcmtap did about libpulse's client configuration in this process.
#[napi(object)]
pub struct NativePulseConfigStats {
    pub setup: String,
    pub reason: Option<String>,
    pub not_included: Vec<String>,
    pub open_to_others: Vec<String>,
}

/// An application capture's state.
#[napi(object)]
pub struct NativeApplicationStats {
    /// The application's name (or what the selection means).
    pub name: String,
    /// The processes followed (empty for `exclude`).
    pub pids: Vec<u32>,
    /// Playback streams mixed now.
    pub streams: u32,
    /// Record streams opened so far (one per playback stream of the application).
    pub streams_opened: f64,
    /// Frames delivered while the application played nothing (silence at the clock's pace).
    pub idle_frames: f64,
    /// Frames of a playing stream that came too late and were replaced by silence.
    pub underrun_frames: f64,
}

#[napi(object)]
pub struct NativeStats {
    pub mode: String,
    pub external_buffers_allowed: bool,
    pub running: bool,
    pub pool: NativePoolStats,
    pub delivery: NativeDeliveryStats,
    pub audio: NativeAudioStats,
    /// The device config actually opened (device sources, once started).
    pub device: Option<NativeDeviceStats>,
    /// Process-wide: present once a capture through the ALSA `pulse` plugin was opened.
    pub pulse_config: Option<NativePulseConfigStats>,
    /// An application capture's state (once started).
    pub application: Option<NativeApplicationStats>,
}

pub fn snapshot(
    p: &Pipeline,
    mode: &str,
    allowed: bool,
    running: bool,
    device: Option<OpenedDevice>,
    app: Option<&AppState>,
) -> NativeStats {
    let ps = p.pool_stats();
    let c = &p.counters;
    let g = |a| Counters::get(a) as f64;
    let attempts = ps.hits + ps.misses;
    NativeStats {
        mode: mode.to_string(),
        external_buffers_allowed: allowed,
        running,
        pool: NativePoolStats {
            capacity: ps.capacity as u32,
            free: ps.free as u32,
            outstanding: ps.outstanding as u32,
            held_by_js: ps.in_js as u32,
            high_water: ps.high_water as u32,
            hits: ps.hits as f64,
            misses: ps.misses as f64,
            hit_rate: if attempts == 0 {
                1.0
            } else {
                ps.hits as f64 / attempts as f64
            },
        },
        delivery: NativeDeliveryStats {
            packets: g(&c.packets),
            external: g(&c.external),
            copied: g(&c.copied),
            low_water_copies: g(&c.low_water_copies),
            released: g(&c.released),
            finalized: g(&c.finalized),
            queued: p.ready.len() as u32,
        },
        audio: NativeAudioStats {
            frames: g(&c.frames),
            dropped_frames: g(&c.dropped_frames),
            discontinuities: g(&c.discontinuities),
            xruns: g(&c.xruns),
            disconnects: g(&c.disconnects),
            reconnects: g(&c.reconnects),
            gap_frames: g(&c.gap_frames),
            device_changes: g(&c.device_changes),
        },
        device: device.map(|d| NativeDeviceStats {
            id: d.id,
            name: d.name,
            host: d.host,
            sample_rate: d.sample_rate,
            channels: d.channels as u32,
            format: d.format,
            buffer_frames: d.buffer_frames,
            passthrough: d.passthrough,
            resampling: d.resampling,
        }),
        application: app.map(|a| NativeApplicationStats {
            name: a.label.lock().clone(),
            pids: a.pids.lock().clone(),
            streams: a.streams.load(Ordering::Relaxed),
            streams_opened: a.opened.load(Ordering::Relaxed) as f64,
            idle_frames: a.idle_frames.load(Ordering::Relaxed) as f64,
            underrun_frames: a.underrun_frames.load(Ordering::Relaxed) as f64,
        }),
        pulse_config: pulse_config().map(|c| NativePulseConfigStats {
            setup: c.setup.name().to_string(),
            reason: c.reason.clone(),
            not_included: lossy(&c.not_included),
            open_to_others: lossy(&c.open_to_others),
        }),
    }
}

fn lossy(paths: &[std::path::PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}
