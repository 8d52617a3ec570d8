//! Device discovery: the devices of a host as users know them, listing and the default device.
//!
//! On the ALSA host (Linux's default) with a PulseAudio or PipeWire server answering, the
//! devices are the server's sources and sink monitors, opened through the ALSA `pulse` plugin
//! by name (`pulse:DEVICE=<source>`, the cheapest measured path, see `bench/cpu.js`), with the
//! server's descriptions and its default source. ALSA's plugin PCMs (`null`, `upmix`, `pulse`,
//! …) are hidden unless `all` is asked; hardware (`hw:`/`plughw:`) stays visible. On the
//! PulseAudio host the same sources are opened by cpal's native client. Those two catalogs are
//! in `linux.rs` (compiled where cpal has these hosts); every other host lists its devices as
//! cpal does ([`generic_entries`]). Resolving the `device` option against these lists is in
//! `resolve.rs`.
//!
//! Threads: JS thread. ALSA lists from its hints and opens a PCM only to read its default
//! config when `probe` is set, and then only the PCMs listed (and `default` once where there is
//! no card and no server: `no_device.rs`); the server answers from its own state. libasound's
//! messages stay off stderr (`alsa_log.rs`).

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{DeviceDirection, DeviceId, SampleFormat};

use super::alsa_log::quietly;
use super::hosts::{convert_error, open_host};
use super::platform::catalog;
use crate::error::Error;

/// A device config as reported to JS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    pub sample_rate: u32,
    pub channels: u16,
    pub format: String,
}

#[derive(Clone, Debug)]
pub struct DeviceInfo {
    /// `"<host>:<name>"`: opens as `device` with no other option, stable across calls.
    pub id: String,
    /// The human name (the server's description where there is one).
    pub name: String,
    pub host: String,
    /// `'input'`, `'output'` or `'monitor'` (a sink monitor: what an output plays).
    pub kind: &'static str,
    pub is_default: bool,
    pub default_config: Option<ConfigInfo>,
}

/// What the `device` option asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    Default,
    /// `{ id }`: an exact device id (`"<host>:<name>"`).
    Id(String),
    /// A string: an exact id or name, else a case-insensitive substring of exactly one listed
    /// device's name or id.
    Query(String),
}

/// One device of a host's catalog.
#[derive(Clone, Debug)]
pub struct Entry {
    pub info: DeviceInfo,
    /// The host's own name for it (an ALSA PCM name, a server source name).
    pub key: String,
    /// What cpal opens.
    pub cpal_id: DeviceId,
    /// Listed without `all`: capturable, and not an ALSA plugin PCM.
    pub visible: bool,
    /// The sound server's name of the source it captures (`None`: not a server source).
    pub source: Option<String>,
}

pub fn format_name(f: SampleFormat) -> String {
    f.to_string().to_ascii_lowercase()
}

pub fn config_of(c: cpal::SupportedStreamConfig) -> ConfigInfo {
    ConfigInfo {
        sample_rate: c.sample_rate(),
        channels: c.channels(),
        format: format_name(c.sample_format()),
    }
}

/// Hosts without a server in front (WASAPI, CoreAudio, JACK): every device, as cpal lists it
/// (outputs visible with `all` only).
pub fn generic_entries(h: &cpal::Host) -> Result<Vec<Entry>, Error> {
    let default_in = h.default_input_device().and_then(|d| d.id().ok());
    let devices = h
        .devices()
        .map_err(|e| convert_error(&e, true, "cannot list devices"))?;
    Ok(devices
        .filter_map(|d| {
            let cpal_id = d.id().ok()?;
            let desc = d.description().ok();
            let output = desc
                .as_ref()
                .is_some_and(|x| matches!(x.direction(), DeviceDirection::Output));
            let config = if output {
                d.default_output_config()
            } else {
                d.default_input_config()
            };
            Some(Entry {
                info: DeviceInfo {
                    id: cpal_id.to_string(),
                    name: desc
                        .map(|x| x.name().to_string())
                        .unwrap_or(cpal_id.id().to_string()),
                    host: h.id().to_string(),
                    kind: if output { "output" } else { "input" },
                    is_default: default_in.as_ref() == Some(&cpal_id),
                    default_config: config.ok().map(config_of),
                },
                key: cpal_id.id().to_string(),
                // An output cannot be captured as such (what it plays is `loopback: true`):
                // listed with `all` only, as the server sinks on Linux, so that every id
                // listed by default opens as `device`.
                visible: !output,
                cpal_id,
                source: None,
            })
        })
        .collect())
}

/// Lists the devices of a host (`None`: the default host), optionally of one kind; plugin PCMs
/// and sinks only with `all`. libasound's messages stay off stderr (`alsa_log.rs`).
pub fn list(
    host: Option<&str>,
    kind: Option<&str>,
    probe: bool,
    all: bool,
) -> Result<Vec<DeviceInfo>, Error> {
    quietly(|| {
        let h = open_host(host)?;
        Ok(catalog(&h, None)?
            .into_iter()
            .filter(|e| all || e.visible)
            .filter(|e| kind.is_none_or(|k| e.info.kind == k))
            .map(|mut e| {
                // Only what is listed is probed: a hidden plugin PCM opened here would print its
                // library's own noise (the `jack` plugin: 5 lines of libjack's).
                if probe {
                    probe_config(&h, &mut e);
                }
                e.info
            })
            .collect())
    })
}

/// The default input device of a host, if it has one (`None` too where ALSA has no card, no
/// server answers and its `default` PCM does not open). libasound's messages stay off stderr.
pub fn default_device(host: Option<&str>) -> Result<Option<DeviceInfo>, Error> {
    quietly(|| default_of(host))
}

fn default_of(host: Option<&str>) -> Result<Option<DeviceInfo>, Error> {
    let h = open_host(host)?;
    let Some(mut e) = catalog(&h, None)?.into_iter().find(|e| e.info.is_default) else {
        return Ok(None);
    };
    probe_config(&h, &mut e);
    Ok(Some(e.info))
}

/// Reads an input's default config where the listing left it out (an ALSA PCM: reading it opens
/// the PCM).
fn probe_config(h: &cpal::Host, e: &mut Entry) {
    if e.info.default_config.is_none() && e.info.kind != "output" {
        e.info.default_config = h
            .device_by_id(&e.cpal_id)
            .and_then(|d| d.default_input_config().ok())
            .map(config_of);
    }
}
