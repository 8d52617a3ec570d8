//! The napi-free core: slot pool, format conversion, packetizer, pipeline state and relay.
//! Every item here can be unit-tested with `cargo test`; nothing here imports napi or cpal.

mod chain;
mod convert;
mod events;
mod gate;
// The application capture's mixer: where per-application capture exists (and the tests).
#[cfg(any(server_path, windows, target_os = "macos", test))]
mod mix;
mod packetizer;
mod pipeline;
mod pool;
mod relay;

#[cfg(test)]
mod mix_tests;
#[cfg(test)]
mod no_alloc_tests;

pub use chain::{Chain, ChannelMap};
pub use convert::{OutputFormat, Sample};
pub use events::{Counters, DeviceChange, Disconnect};
#[cfg(any(server_path, windows, target_os = "macos"))]
pub use mix::{Mixer, MixerInputs};
// The most streams one capture mixes: where an application is many streams (a macOS tap is one).
#[cfg(any(server_path, windows))]
pub use mix::MAX_INPUTS;
pub use packetizer::{MissPolicy, Packetizer, Pushed};
pub use pipeline::{Descriptor, PacketLayout, Pipeline, PROBE_AFTER_NS};
#[cfg(test)]
pub use pipeline::{FLAG_DISCONTINUITY, FLAG_RECONNECT};
pub use pool::{live_memory as live_pool_memory, SlotState};
pub use relay::{Notified, Relay};
