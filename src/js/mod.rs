//! The napi binding: the only place that imports napi. `lib/*.js` wraps it into the public API.

mod capture; // registers `NativeCapture` with Node through #[napi]
mod delivery;
mod devices;
mod errors;
mod options;
mod raw;
mod stats;
mod warnings;
mod watch; // `watchDevices()`: wakes JS on server device events
