//! Sources of samples that feed the core's packetizer. The device source (cpal) lives in
//! `capture/`; the synthetic source is here.

mod synthetic;

pub use synthetic::{generate, GenSample, InputFormat, SyntheticConfig, SyntheticSource, Waveform};
