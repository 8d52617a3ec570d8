//! cpal's ALSA and PulseAudio hosts, compiled where cpal has them (Linux, DragonFly, FreeBSD,
//! NetBSD: its `platform/mod.rs`): their catalogs (a PulseAudio or PipeWire server's sources,
//! ALSA PCMs), which devices go through the server, and what that server needs. `other.rs` is
//! the same interface for the platforms without these hosts.
//!
//! Threads: JS thread.

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{DeviceDirection, DeviceId, HostId};

use super::devices::{generic_entries, DeviceInfo, Entry};
use super::hosts::convert_error;
use super::resolve::ServerLost;
use super::{no_device, pulse_addr, pulse_conf, server};
use crate::error::{Error, ErrorKind};

pub use super::app_source::AppSource;
pub use super::apps::list as list_apps;
pub use super::follow::{watch as watch_default, DefaultWatch};
pub use super::removal::{watch as watch_removal, RemovalWatch};
pub use super::server::ServerInfo;
pub use super::subscribe::default_source;
pub use super::subscribe::{hub_stats, subscribe, SubscriptionGuard};

/// Server events come from the subscription hub (`subscribe.rs`).
pub const SUBSCRIPTION_SUPPORTED: bool = true;

/// cpal's PulseAudio host below this many frames per buffer delivers only part of the audio
/// (measured: 7 % at 16, 52 % at 64, 69 % at 128 under load; README "What capture costs").
const PULSE_MIN_BUFFER_FRAMES: u32 = 256;

/// What pcmtap asks of cpal's PulseAudio host when `bufferFrames` is not given. Left to the
/// server (`BufferSize::Default`), PipeWire's pulse server (0.3.65) picks a 2 s record fragment
/// (`pulse.attr.fragsize` 384000 bytes, `node.latency` 96000/48000): the first data, and so
/// `start()`, came 2 s late, then 340 ms bursts (+2 % frames against the clock over 3 s).
/// PulseAudio sends record data as it comes whatever the fragment: asking changes nothing there
/// (packets every 10 ms either way). 1024 frames: the ALSA host's default period at s16 and
/// PipeWire's default quantum, so the graph is not driven faster than it runs anyway.
const PULSE_DEFAULT_BUFFER_FRAMES: u32 = 1024;

/// The buffer size a host is opened with when `bufferFrames` is not given (`None`: the host's
/// own default).
pub fn default_buffer_frames(host: HostId) -> Option<u32> {
    (host == HostId::PulseAudio).then_some(PULSE_DEFAULT_BUFFER_FRAMES)
}

/// Opens a host by id. cpal's PulseAudio client is the process's one connection to the server
/// ([`server::shared_host`]).
pub fn open_host(id: HostId) -> Result<Arc<cpal::Host>, cpal::Error> {
    if id == HostId::PulseAudio {
        server::shared_host()
    } else {
        cpal::host_from_id(id).map(Arc::new)
    }
}

/// The server behind host `h`, if it has one (`Ok(None)`: none is there); an error when one
/// accepts connections but does not answer.
pub fn server_of(h: &cpal::Host) -> Result<Option<ServerInfo>, Error> {
    // The catch-all is unreachable on Linux builds without JACK.
    #[allow(unreachable_patterns)]
    match h.id() {
        HostId::Alsa => server::query(),
        HostId::PulseAudio => server::query_on(h),
        _ => Ok(None),
    }
}

/// For a device that goes through a sound server (ALSA's `pulse` plugin: `pulse:…`, or
/// `default` routed to it; or cpal's PulseAudio client): a probe saying whether the server went
/// away, asking where that client connects ([`pulse_addr`]: libpulse's servers for the plugin,
/// the `pulseaudio` crate's socket for cpal's client). Turns off the plugin's shared memory
/// first ([`pulse_conf::disable_shm`]), so the server is found through pcmtap's configuration.
pub fn server_lost(host: HostId, id: &DeviceId) -> Option<ServerLost> {
    let env = |k: &str| std::env::var_os(k);
    #[allow(unreachable_patterns)]
    let addrs = match host {
        HostId::Alsa if id.id().starts_with("pulse") || id.id() == "default" => {
            pulse_conf::disable_shm();
            pulse_addr::libpulse_servers(&env)
        }
        HostId::PulseAudio => pulse_addr::crate_server(&env).into_iter().collect(),
        _ => return None,
    };
    Some(lost_probe(addrs))
}

/// A probe saying whether the sound server at `addrs` went away (`Some(DeviceLost)`): none of
/// them accepts connections.
fn lost_probe(addrs: Vec<pulse_addr::Addr>) -> ServerLost {
    Arc::new(move || {
        (!pulse_addr::any_accepts(&addrs)).then(|| {
            Error::new(
                ErrorKind::DeviceLost,
                format!(
                    "the sound server went away: nothing accepts connections at {}",
                    pulse_addr::describe(&addrs)
                ),
            )
        })
    })
}

/// Refuses buffers too small for cpal's PulseAudio host (it then loses most of the audio).
pub fn check_buffer_frames(host: HostId, frames: Option<u32>) -> Result<(), Error> {
    if let Some(n) = frames.filter(|n| *n < PULSE_MIN_BUFFER_FRAMES) {
        if host == HostId::PulseAudio {
            return Err(Error::new(
                ErrorKind::UnsupportedConfig,
                format!(
                    "bufferFrames {n} is too small for the 'pulseaudio' host (at least \
                     {PULSE_MIN_BUFFER_FRAMES}): it then loses most of the audio; use the \
                     'alsa' host for small buffers"
                ),
            ));
        }
    }
    Ok(())
}

/// The ALSA PCM name that opens a server source through the `pulse` plugin. A name with any
/// character ALSA's argument syntax may read as syntax (PipeWire allows `=`, `,`, quotes,
/// spaces…; PulseAudio only `[A-Za-z0-9._-]`) is quoted, `\\` and `"` escaped, as
/// `snd_config_expand` reads it; a plain name stays unquoted, so its id does not change.
fn pulse_pcm(source: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !source.is_empty() && source.chars().all(plain) {
        return format!("pulse:DEVICE={source}");
    }
    let mut quoted = String::with_capacity(source.len() + 2);
    for c in source.chars() {
        if matches!(c, '\\' | '"') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    format!("pulse:DEVICE=\"{quoted}\"")
}

fn server_entries(host: HostId, server: &ServerInfo) -> Vec<Entry> {
    server
        .nodes
        .iter()
        .map(|n| {
            let name = match host {
                HostId::Alsa => pulse_pcm(&n.name),
                _ => n.name.clone(),
            };
            let cpal_id = DeviceId::new(host, &name);
            Entry {
                info: DeviceInfo {
                    id: cpal_id.to_string(),
                    name: n.description.clone(),
                    host: host.to_string(),
                    kind: match (n.sink, n.monitor) {
                        (true, _) => "output",
                        (false, true) => "monitor",
                        (false, false) => "input",
                    },
                    is_default: !n.sink && server.default_source.as_deref() == Some(&n.name),
                    default_config: n.config.clone(),
                },
                key: n.name.clone(),
                cpal_id,
                visible: !n.sink,
                source: (!n.sink).then(|| n.name.clone()),
            }
        })
        .collect()
}

fn is_hardware(pcm: &str) -> bool {
    pcm.starts_with("hw:") || pcm.starts_with("plughw:")
}

fn alsa_entries(h: &cpal::Host, with_server: bool) -> Result<Vec<Entry>, Error> {
    let mut devices: Vec<cpal::Device> = h
        .devices()
        .map_err(|e| convert_error(&e, true, "cannot list devices"))?
        .collect();
    // ALSA's hints do not always name `default`; cpal's default device is that PCM.
    if let Some(d) = h.default_input_device() {
        if !devices.iter().any(|x| x.id().ok() == d.id().ok()) {
            devices.insert(0, d);
        }
    }
    // Without a server and without a card, `default` is a device only where it opens (the
    // user's configuration made it a plugin that needs neither: `no_device.rs`); asked only
    // then, since opening a PCM costs.
    let default_opens =
        |d: &cpal::Device| !no_device::no_cards() || d.default_input_config().is_ok();
    Ok(devices
        .into_iter()
        .filter_map(|d| {
            let cpal_id = d.id().ok()?;
            let key = cpal_id.id().to_string();
            let desc = d.description().ok();
            let output = desc
                .as_ref()
                .is_some_and(|x| matches!(x.direction(), DeviceDirection::Output));
            // Without a server, ALSA's `default` is the default input.
            let default = !with_server && key == "default" && default_opens(&d);
            Some(Entry {
                info: DeviceInfo {
                    id: cpal_id.to_string(),
                    name: desc.map(|x| x.name().to_string()).unwrap_or(key.clone()),
                    host: "alsa".into(),
                    kind: if output { "output" } else { "input" },
                    is_default: default,
                    default_config: None,
                },
                visible: !output && (default || is_hardware(&key)),
                key,
                cpal_id,
                source: None,
            })
        })
        .collect())
}

/// Every device of a host, visible or not. `server`: the server's answer, if one answered
/// (`None` asks it here where the host needs it).
pub fn catalog(h: &cpal::Host, server: Option<&ServerInfo>) -> Result<Vec<Entry>, Error> {
    let asked;
    let server = match server {
        Some(s) => Some(s),
        None => {
            asked = server_of(h)?;
            asked.as_ref()
        }
    };
    // Which hosts exist depends on the platform and features: the catch-all is unreachable on
    // Linux builds without JACK.
    #[allow(unreachable_patterns)]
    match h.id() {
        HostId::Alsa => {
            let mut all = server
                .map(|s| server_entries(HostId::Alsa, s))
                .unwrap_or_default();
            all.extend(alsa_entries(h, server.is_some())?);
            Ok(all)
        }
        HostId::PulseAudio => Ok(server
            .map(|s| server_entries(HostId::PulseAudio, s))
            .unwrap_or_default()),
        _ => Ok(generic_entries(h)?),
    }
}

#[cfg(test)]
mod tests {
    use super::pulse_pcm;

    #[test]
    fn plain_source_names_stay_unquoted() {
        assert_eq!(
            pulse_pcm("pcmtap_test.monitor"),
            "pulse:DEVICE=pcmtap_test.monitor"
        );
        assert_eq!(
            pulse_pcm("alsa_input.usb-0d8c-00.analog-stereo"),
            "pulse:DEVICE=alsa_input.usb-0d8c-00.analog-stereo"
        );
    }

    #[test]
    fn names_with_alsa_syntax_are_quoted_and_escaped() {
        assert_eq!(pulse_pcm("a=b,c"), r#"pulse:DEVICE="a=b,c""#);
        assert_eq!(pulse_pcm("sp ace:x'y"), r#"pulse:DEVICE="sp ace:x'y""#);
        assert_eq!(pulse_pcm(r#"q"b\s"#), r#"pulse:DEVICE="q\"b\\s""#);
        assert_eq!(pulse_pcm(""), r#"pulse:DEVICE="""#);
    }
}
