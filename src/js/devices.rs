//! `listDevices()`, `defaultDevice()` and `hosts()` for JS.
//!
//! Threads: JS thread (they enumerate synchronously; a PulseAudio or PipeWire server answers
//! from its own state, ALSA from its hints).

use napi_derive::napi;

use super::errors::to_js;
use crate::capture::{self, ConfigInfo, DeviceInfo};

#[napi(object)]
pub struct NativeDeviceConfig {
    pub sample_rate: u32,
    pub channels: u32,
    pub format: String,
}

#[napi(object)]
pub struct NativeDeviceInfo {
    pub id: String,
    pub name: String,
    pub host: String,
    /// `'input' | 'output' | 'monitor'`.
    pub kind: String,
    pub is_default: bool,
    pub default_config: Option<NativeDeviceConfig>,
}

#[napi(object)]
pub struct NativeHosts {
    pub default: String,
    pub compiled: Vec<String>,
}

fn config(c: ConfigInfo) -> NativeDeviceConfig {
    NativeDeviceConfig {
        sample_rate: c.sample_rate,
        channels: c.channels as u32,
        format: c.format,
    }
}

fn device(d: DeviceInfo) -> NativeDeviceInfo {
    NativeDeviceInfo {
        id: d.id,
        name: d.name,
        host: d.host,
        kind: d.kind.to_string(),
        is_default: d.is_default,
        default_config: d.default_config.map(config),
    }
}

#[napi]
pub fn list_devices(
    host: Option<String>,
    kind: Option<String>,
    probe: bool,
    all: bool,
) -> napi::Result<Vec<NativeDeviceInfo>> {
    let list = capture::list(host.as_deref(), kind.as_deref(), probe, all).map_err(to_js)?;
    Ok(list.into_iter().map(device).collect())
}

#[napi]
pub fn default_device(host: Option<String>) -> napi::Result<Option<NativeDeviceInfo>> {
    Ok(capture::default_device(host.as_deref())
        .map_err(to_js)?
        .map(device))
}

#[napi]
pub fn hosts() -> NativeHosts {
    NativeHosts {
        default: capture::default_host_name(),
        compiled: capture::compiled_hosts(),
    }
}

/// One application playing audio now.
#[napi(object)]
pub struct NativeAppInfo {
    pub pid: u32,
    pub name: String,
    pub binary: String,
    pub host: String,
    pub streams: u32,
}

/// The applications playing through the sound server now (Linux: PulseAudio or PipeWire).
#[napi]
pub fn list_applications() -> napi::Result<Vec<NativeAppInfo>> {
    let apps = capture::list_apps().map_err(to_js)?;
    Ok(apps
        .into_iter()
        .map(|a| NativeAppInfo {
            pid: a.pid,
            name: a.name,
            binary: a.binary,
            host: a.host,
            streams: a.streams,
        })
        .collect())
}
