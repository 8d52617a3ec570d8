//! Sources of samples that feed the core's packetizer. The device source (cpal) lives in
//! `capture/`; the synthetic source is here.

mod synthetic;

#[cfg(test)]
pub use synthetic::generate;
pub use synthetic::{InputFormat, SyntheticConfig, SyntheticSource, Waveform};
