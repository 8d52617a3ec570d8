//! The interface of `linux.rs` where cpal has no ALSA or PulseAudio host (Windows, macOS, …):
//! no sound server is read, every host lists its devices as cpal does, and no device goes
//! through a server.
//!
//! Threads: JS thread.

use std::sync::Arc;

use cpal::{DeviceId, HostId};

use super::devices::{generic_entries, Entry};
use super::resolve::ServerLost;
#[cfg(not(any(windows, target_os = "macos")))]
use super::server_event::{HubStats, Listener};
use crate::error::Error;

/// No sound server is read on these platforms: never built.
pub enum ServerInfo {}

/// Opens a host by id.
pub fn open_host(id: HostId) -> Result<Arc<cpal::Host>, cpal::Error> {
    cpal::host_from_id(id).map(Arc::new)
}

/// No server behind any host here.
pub fn server_of(_h: &cpal::Host) -> Result<Option<ServerInfo>, Error> {
    Ok(None)
}

/// No device goes through a sound server here.
pub fn server_lost(_host: HostId, _id: &DeviceId) -> Option<ServerLost> {
    None
}

/// Every buffer size the device accepts is fine here.
pub fn check_buffer_frames(_host: HostId, _frames: Option<u32>) -> Result<(), Error> {
    Ok(())
}

/// Every host here opens with its own default buffer size.
pub fn default_buffer_frames(_host: HostId) -> Option<u32> {
    None
}

/// Every device of a host, as cpal lists it (the configs are read: no host here opens a device
/// to do so).
pub fn catalog(h: &cpal::Host, _server: Option<&ServerInfo>) -> Result<Vec<Entry>, Error> {
    generic_entries(h)
}

/// Windows: the system's endpoint notifications (`endpoint_watch.rs`); macOS: CoreAudio's
/// property listeners (`coreaudio_watch.rs`). Elsewhere here no events exist: listeners are never
/// called (a watcher polls instead).
pub const SUBSCRIPTION_SUPPORTED: bool = cfg!(any(windows, target_os = "macos"));

#[cfg(target_os = "macos")]
pub use super::coreaudio_watch::{hub_stats, subscribe, SubscriptionGuard};
#[cfg(windows)]
pub use super::endpoint_watch::{hub_stats, subscribe, SubscriptionGuard};

/// The interface of `subscribe.rs`: registers nothing, never fails.
#[cfg(not(any(windows, target_os = "macos")))]
#[must_use = "dropping the guard unsubscribes at once"]
pub struct SubscriptionGuard(());

/// Accepts the listener and never calls it (see [`SUBSCRIPTION_SUPPORTED`]).
#[cfg(not(any(windows, target_os = "macos")))]
pub fn subscribe(_listener: Listener) -> Result<SubscriptionGuard, Error> {
    Ok(SubscriptionGuard(()))
}

/// Always empty: there is no hub here.
#[cfg(not(any(windows, target_os = "macos")))]
pub fn hub_stats() -> HubStats {
    HubStats::default()
}

/// The interface of `removal.rs`: no server here, so nothing to watch.
pub struct RemovalWatch;

/// No server source to watch here.
pub fn watch_removal(
    _source: &str,
    _id: &str,
    _removed: impl Fn(Error) + Send + Sync + 'static,
) -> Option<RemovalWatch> {
    None
}

/// The interface of `follow.rs`: no server default to follow here.
pub struct DefaultWatch;

impl DefaultWatch {
    pub fn set_current(&self, _source: &str) {}
}

/// No server default to watch here.
pub fn watch_default(
    _loopback: bool,
    _source: &str,
    _link: std::sync::Arc<super::link::Link>,
) -> Option<DefaultWatch> {
    None
}

/// No server to ask here.
pub fn default_source(_loopback: bool) -> Option<String> {
    None
}

// Per-application capture: Windows process loopback (`wasapi_app.rs`), macOS process taps
// (`coreaudio_app.rs`); elsewhere here, a clear refusal.
#[cfg(target_os = "macos")]
pub use super::coreaudio_app::{list_apps, AppSource};
#[cfg(windows)]
pub use super::wasapi_app::{list_apps, AppSource};
#[cfg(not(any(windows, target_os = "macos")))]
pub use unsupported_apps::{list_apps, AppSource};

#[cfg(not(any(windows, target_os = "macos")))]
mod unsupported_apps {
    use crate::error::Error;

    /// The interface of `app_source.rs`: no way here to take one application's audio.
    pub struct AppSource {
        pub state: std::sync::Arc<super::super::app_config::AppState>,
    }

    impl AppSource {
        pub fn start(
            _cfg: &super::super::app_config::AppConfig,
            _pipeline: std::sync::Arc<crate::core::Pipeline>,
            _relay: std::thread::Thread,
        ) -> Result<Self, Error> {
            Err(unsupported_apps())
        }

        pub fn stop(self) {}
    }

    fn unsupported_apps() -> Error {
        Error::new(
            crate::error::ErrorKind::UnsupportedConfig,
            "per-application capture exists on Linux (PulseAudio, PipeWire), Windows and macOS only",
        )
    }

    /// No applications can be listed here.
    pub fn list_apps() -> Result<Vec<super::super::app_config::AppInfo>, Error> {
        Err(unsupported_apps())
    }
}
