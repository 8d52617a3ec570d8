//! Resolving the `device` option (an id, a name, a case-insensitive substring, or the default)
//! and `loopback: true` to a cpal device, against the catalog of `devices.rs`.
//!
//! An id carries its host (`"pulseaudio:…"`, `"alsa:…"`), so every listed id opens with no
//! other option. `loopback: true` is the default sink's monitor (through ALSA's `pulse` plugin
//! on the default host, or cpal's PulseAudio client), or the default output device where the
//! host itself loops back (WASAPI); on a host that cannot loop back it is an error, never the
//! microphone.
//!
//! Threads: JS thread.

use cpal::traits::{DeviceTrait, HostTrait};
use std::sync::Arc;

use super::devices::Entry;
use super::hosts::{compiled_hosts, open_host};
use super::platform::{self, catalog};
use crate::error::{Error, ErrorKind};

/// Whether the sound server a device goes through went away (`Some(DeviceLost)`). Cheap: runs
/// on the relay thread and in cpal's error callback.
pub type ServerLost = Arc<dyn Fn() -> Option<Error> + Send + Sync>;

/// The device chosen to open.
pub struct Resolved {
    pub host: Arc<cpal::Host>,
    pub device: cpal::Device,
    pub id: String,
    pub name: String,
    /// Open an input stream on an output device (host loopback, e.g. WASAPI).
    pub output_loopback: bool,
    /// The liveness probe of the sound server the device goes through, if it goes through one.
    pub server_lost: Option<ServerLost>,
    /// The server source chosen explicitly (by id or name, not as the default): its removal ends
    /// the capture (`removal.rs`) rather than letting the server move it to another source.
    pub explicit_source: Option<String>,
    /// The server source chosen as the default (the default source, or with `loopback` the
    /// default sink's monitor): a capture that follows the default watches for it to change.
    pub default_source: Option<String>,
}

/// The host an id names (`"pulseaudio:x"` -> `pulseaudio`), if it names a compiled one.
fn host_in_id(spec: &str) -> Option<String> {
    let (prefix, _) = spec.split_once(':')?;
    compiled_hosts().into_iter().find(|h| h == prefix)
}

fn available(entries: &[Entry]) -> String {
    let names: Vec<String> = entries
        .iter()
        .filter(|e| e.visible)
        .map(|e| format!("{} ({})", e.info.id, e.info.name))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn open(host: Arc<cpal::Host>, e: &Entry, output_loopback: bool) -> Result<Resolved, Error> {
    let server_lost = platform::server_lost(host.id(), &e.cpal_id);
    // libasound's reason, if any, becomes the cause (`alsa_log.rs`): this open's, not the
    // catalog's probing.
    super::alsa_log::fresh();
    let device = host.device_by_id(&e.cpal_id).ok_or_else(|| {
        let listed = if e.visible { " is listed but" } else { "" };
        Error::new(
            ErrorKind::DeviceNotFound,
            format!("'{}'{listed} does not open", e.info.id),
        )
    })?;
    Ok(Resolved {
        host,
        device,
        id: e.info.id.clone(),
        name: e.info.name.clone(),
        output_loopback,
        server_lost,
        explicit_source: None,
        default_source: None,
    })
}

/// A device the host handed out directly (its default input or output), not from the listing:
/// named by cpal, with no server probe.
fn unlisted(host: Arc<cpal::Host>, device: cpal::Device, output_loopback: bool) -> Resolved {
    let id = device.id().map(|i| i.to_string()).unwrap_or_default();
    let name = device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| id.clone());
    Resolved {
        host,
        device,
        id,
        name,
        output_loopback,
        server_lost: None,
        explicit_source: None,
        default_source: None,
    }
}

/// Resolves `device` / `loopback` on `host` (`None`: the host an id names, else the default).
pub fn resolve(
    host: Option<&str>,
    spec: &super::DeviceSpec,
    loopback: bool,
) -> Result<Resolved, Error> {
    use super::DeviceSpec as S;
    // `'default'` means one thing everywhere: the device the listing marks `isDefault` (not
    // ALSA's `default` PCM, which opens as its id `alsa:default`).
    let spec = match spec {
        S::Query(q) if q == "default" => &S::Default,
        s => s,
    };
    let named = match spec {
        S::Id(s) | S::Query(s) if host.is_none() => host_in_id(s),
        _ => None,
    };
    let h = open_host(host.or(named.as_deref()))?;
    let server = platform::server_of(&h)?;
    let entries = catalog(&h, server.as_ref())?;
    let not_found = |what: String| {
        Error::new(
            ErrorKind::DeviceNotFound,
            format!("{what}; available: {}", available(&entries)),
        )
    };
    if loopback {
        // The catch-all is unreachable on Linux builds without JACK.
        #[allow(unreachable_patterns)]
        return match h.id() {
            #[cfg(server_path)]
            cpal::HostId::Alsa | cpal::HostId::PulseAudio => {
                let s = server.as_ref().ok_or_else(|| {
                    Error::new(
                        ErrorKind::UnsupportedConfig,
                        format!(
                            "loopback: true needs a PulseAudio or PipeWire server on the '{}' \
                             host, and none answers (ALSA alone cannot capture what the machine plays)",
                            h.id()
                        ),
                    )
                })?;
                let sink = s.default_sink.clone().ok_or_else(|| {
                    not_found("the server has no default sink to loop back".into())
                })?;
                let monitor = format!("{sink}.monitor");
                let e = entries
                    .iter()
                    .find(|e| e.key == monitor && e.info.kind == "monitor")
                    .ok_or_else(|| {
                        not_found(format!(
                            "no monitor source '{monitor}' for the default sink"
                        ))
                    })?
                    .clone();
                open(h, &e, false).map(|r| Resolved {
                    default_source: Some(monitor),
                    ..r
                })
            }
            #[cfg(target_os = "windows")]
            cpal::HostId::Wasapi => {
                let device = h
                    .default_output_device()
                    .ok_or_else(|| not_found("no default output device to loop back".into()))?;
                Ok(unlisted(h, device, true))
            }
            other => Err(Error::new(
                ErrorKind::UnsupportedConfig,
                format!("loopback: true is not supported on the '{other}' host"),
            )),
        };
    }
    let query = match spec {
        S::Default => {
            return match entries.iter().find(|e| e.info.is_default) {
                Some(e) => open(h, &e.clone(), false).map(|r| Resolved {
                    default_source: e.source.clone(),
                    ..r
                }),
                // The server's default is the default: never ALSA's `default` PCM in its place.
                None if server.is_some() => {
                    Err(not_found("the sound server names no default source".into()))
                }
                // ALSA without a server lists `default` unless it cannot open for want of a card.
                #[cfg(server_path)]
                None if h.id() == cpal::HostId::Alsa && super::no_device::no_cards() => {
                    Err(super::no_device::error())
                }
                None => {
                    let device = h
                        .default_input_device()
                        .ok_or_else(|| not_found("no default input device".into()))?;
                    Ok(unlisted(h, device, false))
                }
            };
        }
        S::Id(q) | S::Query(q) => q.as_str(),
    };
    // Exact: an id, else (not for `{ id }`) the host's own name (an ALSA PCM name, a server
    // source name).
    let by_name = matches!(spec, S::Query(_));
    let exact = entries
        .iter()
        .find(|e| e.info.id == query)
        .or_else(|| {
            entries
                .iter()
                .find(|e| by_name && e.key == query && e.info.kind != "output")
        })
        .or_else(|| entries.iter().find(|e| by_name && e.key == query));
    let explicit = |r: Resolved, e: &Entry| Resolved {
        explicit_source: e.source.clone(),
        ..r
    };
    if let Some(e) = exact {
        return open(h, e, false).map(|r| explicit(r, e));
    }
    if matches!(spec, S::Id(_)) {
        return Err(not_found(format!("no device with id '{query}'")));
    }
    let q = query.to_lowercase();
    let matches: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.visible && e.info.kind != "output")
        .filter(|e| {
            e.info.name.to_lowercase().contains(&q) || e.info.id.to_lowercase().contains(&q)
        })
        .collect();
    match matches.as_slice() {
        [one] => open(h, one, false).map(|r| explicit(r, one)),
        [] => Err(not_found(format!("no input device matches '{query}'"))),
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|e| format!("{} ({})", e.info.id, e.info.name))
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
