//! Audio hosts (ALSA, PulseAudio, WASAPI, CoreAudio, JACK): naming, availability, and the
//! mapping of cpal errors onto pcmtap's error kinds.
//!
//! Threads: JS thread (opening hosts and devices), except [`map_error`], also used from cpal's
//! error callback.

use std::sync::Arc;

use crate::error::{Error, ErrorKind};

/// Names of the hosts compiled into this build, available or not.
pub fn compiled_hosts() -> Vec<String> {
    cpal::ALL_HOSTS.iter().map(|h| h.to_string()).collect()
}

/// The host used when none is named. On Linux pcmtap picks ALSA even where a PulseAudio or
/// PipeWire server answers (cpal would pick PulseAudio there): measured with `bench/cpu.js`,
/// ALSA's default device costs ~2 % of a core less at the same 48 kHz stream and stays under
/// 25 ms of delivery latency (README, "What capture costs"). Elsewhere: cpal's default.
fn default_host() -> cpal::Host {
    #[cfg(target_os = "linux")]
    if let Ok(h) = cpal::host_from_id(cpal::HostId::Alsa) {
        return h;
    }
    cpal::default_host()
}

/// The name of the host used when none is named.
pub fn default_host_name() -> String {
    default_host().id().to_string()
}

/// Opens a host by name (`None`: the default, see [`default_host`]).
pub fn open_host(name: Option<&str>) -> Result<Arc<cpal::Host>, Error> {
    let Some(name) = name else {
        return Ok(Arc::new(default_host()));
    };
    let compiled = compiled_hosts();
    let id: cpal::HostId = name.parse().map_err(|_| {
        Error::new(
            ErrorKind::HostUnavailable,
            format!(
                "host '{name}' is not compiled into this build; available: {}",
                compiled.join(", ")
            ),
        )
    })?;
    super::platform::open_host(id).map_err(|e| {
        Error::new(
            ErrorKind::HostUnavailable,
            format!("host '{name}' is not available here: {e}"),
        )
    })
}

/// Maps a cpal error onto pcmtap's kinds. `opening`: the error came from opening the stream
/// (a missing device then means "not found" rather than "lost").
pub fn map_error(e: &cpal::Error, opening: bool) -> ErrorKind {
    use cpal::ErrorKind as K;
    match e.kind() {
        K::DeviceNotAvailable if opening => ErrorKind::DeviceNotFound,
        K::DeviceNotAvailable | K::StreamInvalidated => ErrorKind::DeviceLost,
        K::HostUnavailable => ErrorKind::HostUnavailable,
        K::DeviceBusy => ErrorKind::DeviceBusy,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::UnsupportedConfig | K::UnsupportedOperation | K::InvalidInput => {
            ErrorKind::UnsupportedConfig
        }
        _ => ErrorKind::StreamError,
    }
}

/// Errors the capture survives: counted and flagged, not reported as fatal.
pub fn is_transient(e: &cpal::Error) -> bool {
    matches!(
        e.kind(),
        cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied
    )
}

/// A pcmtap error from a cpal one, keeping the host's message (on Windows with its HRESULT
/// named: `hresult.rs`).
pub fn convert_error(e: &cpal::Error, opening: bool, context: &str) -> Error {
    #[cfg(windows)]
    {
        let message = e.to_string();
        let kind = match super::hresult::code_of(&message) {
            // cpal leaves it generic; on Windows 10/11 it is also the microphone privacy switch.
            Some(super::hresult::E_ACCESSDENIED) => ErrorKind::PermissionDenied,
            _ => map_error(e, opening),
        };
        Error::new(
            kind,
            format!("{context}: {}", super::hresult::describe(&message)),
        )
    }
    #[cfg(not(windows))]
    Error::new(map_error(e, opening), format!("{context}: {e}"))
}
