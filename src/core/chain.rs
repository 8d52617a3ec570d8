//! The conversion chain between what a device delivers and what the packetizer takes: channel
//! mapping (average down, duplicate up, or an explicit map) and sample-rate conversion (rubato's
//! sinc resampler), when the device's config differs from the request.
//!
//! Threads: built on the JS thread (every buffer allocated there, once); [`Chain::process`] runs
//! on the audio thread and is real-time safe: no allocation, no lock, no panic. When the device
//! already matches the request the chain is a passthrough and the samples go to the packetizer
//! untouched (bit-exact).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::WindowFunction;
use rubato::{Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType};

/// Resampler cutoff, relative to the lower Nyquist: the pass band ends at 90 % of it so the
/// transition band is over by the Nyquist frequency (>= 60 dB stop band from there on, tested
/// down to 48 kHz -> 1 kHz and a tone 5 % above the output Nyquist).
const RESAMPLE_CUTOFF: f32 = 0.9;

use super::convert::Sample;
use super::packetizer::{Packetizer, Pushed};

/// Input frames converted per step (bounds the scratch buffers; any callback size works).
const STEP_FRAMES: usize = 1024;
/// Input frames per resampler call.
const RESAMPLE_CHUNK: usize = 480;

/// Where each output channel comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelMap {
    /// Output channel k = input channel `map[k]`.
    Explicit(Vec<usize>),
    /// Output channel k = average of input channels j with `j % out == k` (fewer outputs), or
    /// input channel `k % in` (more outputs).
    Auto,
}

struct Resampling {
    rs: Async<f32>,
    /// Input waiting for a full chunk (interleaved, output channel count).
    pending: Vec<f32>,
    pending_frames: usize,
    /// Capture time of the first pending frame.
    pending_time_ns: u64,
    out: Vec<f32>,
    out_rate: u32,
}

pub struct Chain {
    in_ch: usize,
    out_ch: usize,
    in_rate: u32,
    /// For each output channel: the input channels averaged into it.
    sources: Vec<Vec<usize>>,
    identity: bool,
    scratch: Vec<f32>,
    resampling: Option<Resampling>,
}

impl Chain {
    /// A chain from `in_ch` channels at `in_rate` to `out_ch` at `out_rate`. Allocates every
    /// buffer it will use. Errors on an explicit map of the wrong length or index.
    pub fn new(
        in_ch: usize,
        in_rate: u32,
        out_ch: usize,
        out_rate: u32,
        map: &ChannelMap,
    ) -> Result<Self, String> {
        let sources: Vec<Vec<usize>> = match map {
            ChannelMap::Explicit(m) => {
                if m.len() != out_ch || m.iter().any(|&j| j >= in_ch) {
                    return Err(format!(
                        "channelMap must list {out_ch} input channel indices below {in_ch}, got {m:?}"
                    ));
                }
                m.iter().map(|&j| vec![j]).collect()
            }
            ChannelMap::Auto if out_ch < in_ch => (0..out_ch)
                .map(|k| (k..in_ch).step_by(out_ch).collect())
                .collect(),
            ChannelMap::Auto => (0..out_ch).map(|k| vec![k % in_ch]).collect(),
        };
        let identity = in_ch == out_ch && sources.iter().enumerate().all(|(k, s)| s == &[k]);
        let resampling = if in_rate != out_rate {
            // 128 taps at the lower of the two rates: when downsampling, rubato's sinc runs at
            // the input rate with its cutoff scaled down by the ratio, so a fixed 128 taps would
            // span only 128 * out / in output samples (2.7 at 48 kHz -> 1 kHz) and alias badly.
            // Scaling the length by the ratio keeps the stop band (>= 60 dB from the output
            // Nyquist on, tested) at every allowed ratio; the cost per input sample stays flat.
            let sinc_len = 128 * in_rate.div_ceil(out_rate).max(1) as usize;
            let params = SincInterpolationParameters {
                sinc_len,
                f_cutoff: Some(RESAMPLE_CUTOFF),
                interpolation: SincInterpolationType::Cubic,
                oversampling_factor: 128,
                window: WindowFunction::BlackmanHarris2,
            };
            let ratio = out_rate as f64 / in_rate as f64;
            let rs = Async::<f32>::new_sinc(
                ratio,
                1.0,
                &params,
                RESAMPLE_CHUNK,
                out_ch,
                FixedAsync::Input,
            )
            .map_err(|e| format!("cannot resample {in_rate} Hz -> {out_rate} Hz: {e}"))?;
            let out = vec![0.0; rs.output_frames_max() * out_ch];
            Some(Resampling {
                rs,
                pending: vec![0.0; RESAMPLE_CHUNK * out_ch],
                pending_frames: 0,
                pending_time_ns: 0,
                out,
                out_rate,
            })
        } else {
            None
        };
        Ok(Self {
            in_ch,
            out_ch,
            in_rate,
            sources,
            identity,
            scratch: vec![0.0; STEP_FRAMES * out_ch],
            resampling,
        })
    }

    /// The rate of the blocks [`Chain::process`] takes.
    pub fn input_rate(&self) -> u32 {
        self.in_rate
    }

    /// Channels per input frame.
    pub fn input_channels(&self) -> usize {
        self.in_ch
    }

    /// True when samples go to the packetizer untouched.
    pub fn is_passthrough(&self) -> bool {
        self.identity && self.resampling.is_none()
    }

    /// Converts one device block (interleaved, `in_ch` channels) whose first frame was captured
    /// at `time_ns`, and pushes the result into `pk`. Real-time safe.
    pub fn process<S: Sample>(&mut self, block: &[S], time_ns: u64, pk: &mut Packetizer) {
        if self.is_passthrough() {
            pk.push(block, time_ns);
            return;
        }
        let frames = block.len() / self.in_ch;
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(STEP_FRAMES);
            let t = time_ns + frames_ns(done, self.in_rate);
            let src = &block[done * self.in_ch..(done + n) * self.in_ch];
            for (o, i) in self
                .scratch
                .chunks_exact_mut(self.out_ch)
                .zip(src.chunks_exact(self.in_ch))
            {
                for (dst, chans) in o.iter_mut().zip(&self.sources) {
                    let sum: f32 = chans.iter().map(|&j| i[j].to_f32()).sum();
                    *dst = sum / chans.len() as f32;
                }
            }
            let mapped = n * self.out_ch;
            match self.resampling.as_mut() {
                None => {
                    if pk.push(&self.scratch[..mapped], t) == Pushed::Stopped {
                        return;
                    }
                }
                Some(r) => r.feed(&self.scratch[..mapped], self.out_ch, self.in_rate, t, pk),
            }
            done += n;
        }
    }
}

impl Resampling {
    fn feed(
        &mut self,
        mut input: &[f32],
        ch: usize,
        in_rate: u32,
        mut t: u64,
        pk: &mut Packetizer,
    ) {
        while !input.is_empty() {
            if self.pending_frames == 0 {
                self.pending_time_ns = t;
            }
            let take = (RESAMPLE_CHUNK - self.pending_frames).min(input.len() / ch);
            let at = self.pending_frames * ch;
            self.pending[at..at + take * ch].copy_from_slice(&input[..take * ch]);
            self.pending_frames += take;
            input = &input[take * ch..];
            t += frames_ns(take, in_rate);
            if self.pending_frames < RESAMPLE_CHUNK {
                continue;
            }
            self.pending_frames = 0;
            let out_cap = self.out.len() / ch;
            let (Ok(inp), Ok(mut outp)) = (
                InterleavedSlice::new(&self.pending[..], ch, RESAMPLE_CHUNK),
                InterleavedSlice::new_mut(&mut self.out[..], ch, out_cap),
            ) else {
                continue;
            };
            // The output's capture time is the chunk's, shifted by the resampler's delay.
            let delay = frames_ns(self.rs.output_delay(), self.out_rate);
            if let Ok((_, written)) = self.rs.process_into_buffer(&inp, &mut outp, None) {
                let time = self.pending_time_ns.saturating_sub(delay);
                pk.push(&self.out[..written * ch], time);
            }
        }
    }
}

fn frames_ns(frames: usize, rate: u32) -> u64 {
    (frames as u128 * 1_000_000_000 / rate as u128) as u64
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
