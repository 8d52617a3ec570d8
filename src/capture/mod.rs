//! Device capture through cpal: hosts, devices, negotiation and the input stream. Every cpal
//! import of the crate lives in this folder (cpal's API moves between minor versions).

mod devices;
mod hosts;
mod loss;
mod resolve;
mod server;
mod stream;

pub use devices::{default_device, list, ConfigInfo, DeviceInfo, DeviceSpec};
pub use hosts::{compiled_hosts, default_host_name};
pub use stream::{DeviceConfig, DeviceSource, OpenedDevice};
