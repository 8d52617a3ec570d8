//! The synthetic source: a thread that produces a sine, silence or a counter pattern in blocks of
//! configurable (also irregular) sizes, through the very same packetizer, pool, relay and
//! delivery as a device.
//!
//! Threads: runs on its own thread (`pcmtap-synthetic`), which plays the audio thread. Its block
//! loop generates into a buffer allocated once before the loop, so it allocates nothing per
//! block. Paced, it sleeps until each block's last frame would have been captured, and drops on
//! a miss like a device. Unpaced, it runs as fast as the consumer returns slots and waits for a
//! free slot instead of missing.

use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::core::{MissPolicy, Packetizer, Pipeline, Pushed, Sample};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Waveform {
    /// `amplitude * sin(2π · frequency · n / rate)` on every channel.
    Sine {
        frequency: f64,
        amplitude: f64,
    },
    Silence,
    /// Every sample of frame `n` is `n % 32768` (as i16; scaled to the input format).
    Counter,
}

/// The sample type the source hands the packetizer, as a device driver would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    I16,
    I32,
    F32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticConfig {
    pub waveform: Waveform,
    pub paced: bool,
    /// Frames per block, cycled (at least one entry, each > 0).
    pub block_frames: Vec<u32>,
    pub input: InputFormat,
}

/// A sample type the generator can produce.
pub trait GenSample: Sample + Default {
    fn from_unit(x: f64) -> Self;
    fn from_counter(v: u16) -> Self;
}

impl GenSample for i16 {
    fn from_unit(x: f64) -> Self {
        (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
    }
    fn from_counter(v: u16) -> Self {
        v as i16
    }
}

impl GenSample for i32 {
    fn from_unit(x: f64) -> Self {
        (x * 2_147_483_648.0)
            .round()
            .clamp(i32::MIN as f64, i32::MAX as f64) as i32
    }
    fn from_counter(v: u16) -> Self {
        (v as i32) << 16
    }
}

impl GenSample for f32 {
    fn from_unit(x: f64) -> Self {
        x as f32
    }
    fn from_counter(v: u16) -> Self {
        v as f32 / 32768.0
    }
}

/// Fills `buf` (interleaved, `channels` per frame) with frames `first..` of `waveform`.
/// Real-time safe.
pub fn generate<S: GenSample>(
    buf: &mut [S],
    channels: usize,
    first: u64,
    rate: u32,
    waveform: Waveform,
) {
    for (i, frame) in buf.chunks_exact_mut(channels).enumerate() {
        let n = first + i as u64;
        let v = match waveform {
            Waveform::Silence => S::default(),
            Waveform::Counter => S::from_counter((n % 32768) as u16),
            Waveform::Sine {
                frequency,
                amplitude,
            } => {
                let cycles = frequency * n as f64 / rate as f64;
                S::from_unit(amplitude * (std::f64::consts::TAU * cycles.fract()).sin())
            }
        };
        frame.fill(v);
    }
}

pub struct SyntheticSource {
    thread: Thread,
    handle: JoinHandle<()>,
}

impl SyntheticSource {
    pub fn start(
        config: SyntheticConfig,
        pipeline: Arc<Pipeline>,
        relay: Thread,
    ) -> std::io::Result<Self> {
        let handle = std::thread::Builder::new()
            .name("pcmtap-synthetic".into())
            .spawn(move || match config.input {
                InputFormat::I16 => run::<i16>(&config, pipeline, relay),
                InputFormat::I32 => run::<i32>(&config, pipeline, relay),
                InputFormat::F32 => run::<f32>(&config, pipeline, relay),
            })?;
        Ok(Self {
            thread: handle.thread().clone(),
            handle,
        })
    }

    /// Joins the thread. The caller has already cleared `pipeline.running`.
    pub fn stop(self) {
        self.thread.unpark();
        let _ = self.handle.join();
    }
}

fn run<S: GenSample>(config: &SyntheticConfig, pipeline: Arc<Pipeline>, relay: Thread) {
    let ch = pipeline.layout.channels as usize;
    let rate = pipeline.layout.sample_rate;
    let largest = config.block_frames.iter().copied().max().unwrap_or(1) as usize;
    let mut buf = vec![S::default(); largest * ch];
    let policy = if config.paced {
        MissPolicy::Drop
    } else {
        MissPolicy::Wait
    };
    let mut pk = Packetizer::new(pipeline.clone(), relay, policy);
    let start = Instant::now();
    let mut next: u64 = 0;
    'blocks: for &frames in config.block_frames.iter().cycle() {
        let block = &mut buf[..frames as usize * ch];
        generate(block, ch, next, rate, config.waveform);
        let block_time = if config.paced {
            let ready_at = start + frames_to_duration(next + frames as u64, rate);
            loop {
                if !pipeline.is_running() {
                    break 'blocks;
                }
                let now = Instant::now();
                if now >= ready_at {
                    break;
                }
                std::thread::park_timeout(ready_at - now);
            }
            pipeline.ns_since_epoch(start + frames_to_duration(next, rate))
        } else {
            if !pipeline.is_running() {
                break;
            }
            pipeline.now_ns()
        };
        if pk.push(block, block_time) == Pushed::Stopped {
            break;
        }
        next += frames as u64;
    }
    pk.finish();
}

fn frames_to_duration(frames: u64, rate: u32) -> Duration {
    Duration::from_nanos((frames as u128 * 1_000_000_000 / rate as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_is_exact_in_every_input_format() {
        let mut a = [0i16; 6];
        generate(&mut a, 2, 32767, 48_000, Waveform::Counter);
        assert_eq!(a, [32767, 32767, 0, 0, 1, 1]);
        let mut b = [0i32; 2];
        generate(&mut b, 1, 5, 48_000, Waveform::Counter);
        assert_eq!(b.map(|v| v.to_s16()), [5, 6]);
        let mut c = [0f32; 2];
        generate(&mut c, 1, 32766, 48_000, Waveform::Counter);
        assert_eq!(c.map(|v| v.to_s16()), [32766, 32767]);
    }

    #[test]
    fn the_sine_has_the_asked_amplitude_and_period() {
        let mut s = vec![0f32; 48];
        let w = Waveform::Sine {
            frequency: 1000.0,
            amplitude: 0.5,
        };
        generate(&mut s, 1, 0, 48_000, w);
        assert!(s[0].abs() < 1e-6);
        assert!(
            (s[12] - 0.5).abs() < 1e-6,
            "quarter period peaks at the amplitude"
        );
        let mut t = vec![0f32; 48];
        generate(&mut t, 1, 48 * 1000, 48_000, w);
        assert!(
            s.iter().zip(&t).all(|(a, b)| (a - b).abs() < 1e-5),
            "1 s later: same phase"
        );
    }
}
