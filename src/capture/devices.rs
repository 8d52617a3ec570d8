//! Device discovery: listing, the default device, and resolving the `device` option (an id, a
//! case-insensitive name substring, or the default) and `loopback: true` to a cpal device.
//!
//! Threads: JS thread. Listing avoids opening devices where the host allows: ALSA lists from
//! its hints and opens a PCM only to read its default config when `probe` is set; PulseAudio
//! answers from the server.

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{DeviceDirection, SampleFormat};

use super::hosts::{convert_error, open_host};
use crate::error::{Error, ErrorKind};

/// A device config as reported to JS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    pub sample_rate: u32,
    pub channels: u16,
    pub format: String,
}

#[derive(Clone, Debug)]
pub struct DeviceInfo {
    pub id: String,
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
    /// A string: an exact id, else a case-insensitive substring of exactly one device's name or id.
    Query(String),
}

pub fn format_name(f: SampleFormat) -> String {
    f.to_string().to_ascii_lowercase()
}

fn id_of(d: &cpal::Device) -> String {
    d.id().map(|i| i.to_string()).unwrap_or_default()
}

fn kind_of(d: &cpal::Device, id: &str) -> &'static str {
    let direction = d
        .description()
        .map(|x| x.direction())
        .unwrap_or(DeviceDirection::Unknown);
    if id.starts_with("pulseaudio:") && id.ends_with(".monitor") {
        "monitor"
    } else if matches!(direction, DeviceDirection::Output) {
        "output"
    } else {
        "input"
    }
}

fn supports(d: &cpal::Device, kind: &str) -> bool {
    let direction = d
        .description()
        .map(|x| x.direction())
        .unwrap_or(DeviceDirection::Unknown);
    match kind {
        "output" => !matches!(direction, DeviceDirection::Input),
        _ => !matches!(direction, DeviceDirection::Output),
    }
}

fn info(host: &cpal::Host, d: &cpal::Device, default_ids: &[String], probe: bool) -> DeviceInfo {
    let id = id_of(d);
    let kind = kind_of(d, &id);
    let host_name = host.id().to_string();
    let name = d
        .description()
        .map(|x| x.name().to_string())
        .unwrap_or_else(|_| id.clone());
    let default_config = if probe || host_name != "alsa" {
        let cfg = if kind == "output" {
            d.default_output_config()
        } else {
            d.default_input_config()
        };
        cfg.ok().map(|c| ConfigInfo {
            sample_rate: c.sample_rate(),
            channels: c.channels(),
            format: format_name(c.sample_format()),
        })
    } else {
        None
    };
    DeviceInfo {
        is_default: default_ids.contains(&id),
        id,
        name,
        host: host_name,
        kind,
        default_config,
    }
}

/// Lists the devices of a host (`None`: the default host), optionally of one kind.
pub fn list(host: Option<&str>, kind: Option<&str>, probe: bool) -> Result<Vec<DeviceInfo>, Error> {
    let h = open_host(host)?;
    let defaults: Vec<String> = [h.default_input_device(), h.default_output_device()]
        .iter()
        .flatten()
        .map(id_of)
        .collect();
    let devices = h
        .devices()
        .map_err(|e| convert_error(&e, true, "cannot list devices"))?;
    Ok(devices
        .filter(|d| match kind {
            None => true,
            Some("output") => supports(d, "output"),
            Some("monitor") => kind_of(d, &id_of(d)) == "monitor",
            Some(_) => supports(d, "input"),
        })
        .map(|d| info(&h, &d, &defaults, probe))
        .collect())
}

/// The default input device of a host, if it has one.
pub fn default_device(host: Option<&str>) -> Result<Option<DeviceInfo>, Error> {
    let h = open_host(host)?;
    let d = h.default_input_device();
    Ok(d.map(|d| {
        let id = id_of(&d);
        info(&h, &d, &[id], true)
    }))
}

/// Resolves the capture device. `loopback`: what the machine plays (the default sink's monitor
/// on PulseAudio; the default output device elsewhere, e.g. WASAPI loopback).
pub fn find(h: &cpal::Host, spec: &DeviceSpec, loopback: bool) -> Result<cpal::Device, Error> {
    let not_found = |what: String| {
        let names: Vec<String> = h
            .devices()
            .map(|ds| {
                ds.filter(|d| supports(d, "input"))
                    .map(|d| format!("{} ({})", id_of(&d), name_of(&d)))
                    .collect()
            })
            .unwrap_or_default();
        Error::new(
            ErrorKind::DeviceNotFound,
            format!("{what}; available: {}", names.join(", ")),
        )
    };
    if loopback {
        let sink = h
            .default_output_device()
            .ok_or_else(|| not_found("no default output device to loop back".into()))?;
        if h.id().to_string() != "pulseaudio" {
            return Ok(sink);
        }
        let monitor = format!("{}.monitor", id_of(&sink));
        return h
            .devices()
            .ok()
            .and_then(|mut ds| ds.find(|d| id_of(d) == monitor))
            .ok_or_else(|| {
                not_found(format!(
                    "no monitor source '{monitor}' for the default sink"
                ))
            });
    }
    let all: Vec<cpal::Device> = match spec {
        DeviceSpec::Default => {
            return h
                .default_input_device()
                .ok_or_else(|| not_found("no default input device".into()))
        }
        _ => h
            .devices()
            .map_err(|e| convert_error(&e, true, "cannot list devices"))?
            .collect(),
    };
    let (query, exact_only) = match spec {
        DeviceSpec::Id(id) => (id.as_str(), true),
        DeviceSpec::Query(q) => (q.as_str(), false),
        DeviceSpec::Default => unreachable!("handled above"),
    };
    if let Some(d) = all.iter().find(|d| id_of(d) == query) {
        return Ok(d.clone());
    }
    if exact_only {
        return Err(not_found(format!("no device with id '{query}'")));
    }
    let q = query.to_lowercase();
    let matches: Vec<&cpal::Device> = all
        .iter()
        .filter(|d| supports(d, "input"))
        .filter(|d| name_of(d).to_lowercase().contains(&q) || id_of(d).to_lowercase().contains(&q))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(not_found(format!("no input device matches '{query}'"))),
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|d| format!("{} ({})", id_of(d), name_of(d)))
                .collect();
            Err(Error::new(
                ErrorKind::DeviceAmbiguous,
                format!(
                    "'{query}' matches {} devices: {}; use an id",
                    many.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

fn name_of(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_string())
        .unwrap_or_default()
}
