//! pcmtap: zero-copy audio capture for Node.js.
//!
//! Samples flow from a source (audio thread) through the packetizer into a preallocated slot
//! pool, a relay thread asks the JS thread to drain, and JS receives each packet as an external
//! Buffer over pool memory whose finalizer returns the slot. See README.md and DESIGN.md.

#![deny(clippy::all)]
// napi-derive compiles its registration out of unit-test builds, so there the `#[napi]` entry
// points, and the code only they call, look unused.
#![cfg_attr(test, allow(dead_code))]

mod capture;
mod core;
mod error;
mod js;
mod session;
mod source;
#[cfg(test)]
mod test_alloc;
