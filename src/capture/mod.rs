//! Device capture through cpal: hosts, devices, negotiation, the input stream and its callback,
//! `reconnect` (a capture that reopens its lost device), and the server subscription hub
//! (`subscribe`: device and server events, Linux/BSD). Every cpal import of the crate
//! lives in this folder (cpal's API moves between minor versions).

mod app_config;
mod callback;
mod devices;
mod hosts;
// watchDevices() where the system notifies device changes: Windows (IMMNotificationClient),
// macOS (CoreAudio property listeners), on one shared listener registry.
#[cfg(target_os = "macos")]
mod coreaudio_watch;
#[cfg(windows)]
mod endpoint_watch;
#[cfg(any(windows, target_os = "macos"))]
mod notify_hub;
// HRESULT names for Windows messages (plain strings: unit-tested on every platform).
#[cfg(any(windows, test))]
mod hresult;
mod link;
mod loss;
mod reconnect;
mod resolve;
mod stream;

// cpal's ALSA and PulseAudio hosts exist only on these platforms (cpal's `platform/mod.rs`), and
// with them the sound server pcmtap reads through them (over a Unix socket): `linux.rs` and
// `server.rs` there, `other.rs` (the same interface, no server) elsewhere.
#[cfg_attr(server_path, path = "linux.rs")]
#[cfg_attr(not(server_path), path = "other.rs")]
mod platform;
/// Declares the modules of the PulseAudio/PipeWire server path, compiled where ALSA is.
macro_rules! server_modules {
    ($($m:ident),*) => {
        $(
            #[cfg(server_path)]
            mod $m;
        )*
    };
}
// Plain data of the server path: compiled everywhere (the types are the interface on every
// platform), filled only where the server path is.
#[cfg_attr(not(server_path), allow(dead_code))]
mod pulse_state;
#[cfg_attr(not(server_path), allow(dead_code))]
mod server_event;
server_modules!(
    app_source,
    app_wire,
    apps,
    follow,
    pulse_addr,
    pulse_conf,
    pulse_parse,
    pulse_reads,
    pulse_store,
    removal,
    server,
    subscribe,
    subscribe_wire
);

pub use app_config::{AppConfig, AppSelect, AppState};
pub use devices::{default_device, list, ConfigInfo, DeviceInfo, DeviceSpec};
pub use hosts::{compiled_hosts, default_host_name};
pub use link::ReconnectPolicy;
pub use platform::{
    hub_stats, list_apps, subscribe, AppSource, SubscriptionGuard, SUBSCRIPTION_SUPPORTED,
};
pub use pulse_state::{pulse_config, WARNING_CODE};
pub use reconnect::ReconnectingDevice;
pub use server_event::{ChangeKind, Facility, ServerEvent};
pub use stream::{DeviceConfig, DeviceSource, OpenedDevice};
