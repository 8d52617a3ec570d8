//! Device capture through cpal: hosts, devices, negotiation, the input stream and its callback,
//! `reconnect` (a capture that reopens its lost device), and the server subscription hub
//! (`subscribe`: device and server events, Linux/BSD). Every cpal import of the crate
//! lives in this folder (cpal's API moves between minor versions).

/// Declares modules under one `cfg`.
macro_rules! modules {
    (#[$cfg:meta] $($m:ident),* $(,)?) => {
        $(
            #[$cfg]
            mod $m;
        )*
    };
}

// libasound's messages kept from stderr while pcmtap probes and opens (`quietly`: a no-op
// where there is no ALSA), and the one error of a machine with no sound card and no server.
mod alsa_log;
mod app_config;
#[cfg(server_path)]
mod no_device;
// The pacing/mixing thread of an application capture (every platform that has one).
#[cfg_attr(not(any(server_path, windows, target_os = "macos")), allow(dead_code))]
mod app_mix;
mod callback;
mod devices;
mod hosts;
// Platform modules where no sound server is read: watchDevices() from the system's
// notifications (Windows: IMMNotificationClient, `endpoint_watch`; macOS: CoreAudio property
// listeners, `coreaudio_watch`; one shared listener registry, `notify_hub`), and per-application
// capture (Windows process loopback, `wasapi_app`; macOS process taps, `coreaudio_app`; both
// feed `app_mix.rs`).
modules!(
    #[cfg(any(windows, target_os = "macos"))]
    notify_hub
);
modules!(
    #[cfg(target_os = "macos")]
    coreaudio_app,
    coreaudio_apps_list,
    coreaudio_props,
    coreaudio_tap,
    coreaudio_tap_desc,
    coreaudio_tap_io,
    coreaudio_watch
);
modules!(
    #[cfg(windows)]
    endpoint_watch,
    wasapi_activate,
    wasapi_app,
    wasapi_app_list,
    wasapi_app_select,
    wasapi_loopback,
    wasapi_process
);
// The tap's ring writer: plain Rust, unit-tested on every platform.
#[cfg(any(target_os = "macos", test))]
mod coreaudio_tap_ring;
// Plain logic of the Windows application capture (tested on every platform, as hresult.rs).
#[cfg(any(windows, test))]
mod wasapi_tree;
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
// Plain data of the server path: compiled everywhere (the types are the interface on every
// platform), filled only where the server path is.
#[cfg_attr(not(server_path), allow(dead_code))]
mod pulse_state;
#[cfg_attr(not(server_path), allow(dead_code))]
mod server_event;
// The PulseAudio/PipeWire server path, compiled where ALSA is.
modules!(
    #[cfg(server_path)]
    app_control,
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
    subscribe_hub,
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
