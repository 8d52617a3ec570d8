//! Mixes several live streams that arrive on their own schedule (one application's streams, each
//! a server record stream) into one block per tick of a clock, so the capture runs at the clock's
//! pace whatever the streams do: a stream that has not delivered yet, or runs dry, contributes
//! silence; one that delivered too much (a stall of the mixing thread, clock drift) has its
//! oldest audio dropped; no stream at all is silence.
//!
//! Each input is a lock-free single-producer single-consumer ring (`rtrb`) of interleaved f32
//! frames: the producer is the stream's data callback, the consumer this mixer.
//!
//! Threads: [`Mixer::mix`] runs on the mixing thread (the audio thread of an application
//! capture): no allocation (inputs are added into reserved capacity and removed by swap), no
//! lock. New inputs arrive through a lock-free queue; finished ones leave through another, to be
//! dropped (freed) on the control thread.

use crossbeam_queue::ArrayQueue;
use rtrb::Consumer;

/// The most streams mixed at once (more are refused by [`MixerInputs::add`]).
pub const MAX_INPUTS: usize = 32;

/// One stream: its ring and where it is in its life.
struct Input {
    ring: Consumer<f32>,
    /// Frames it must hold before it is first mixed (its jitter buffer fills first).
    primed: bool,
}

/// How one block went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MixReport {
    /// Streams that contributed audio.
    pub active: usize,
    /// Streams alive (including those still filling their buffer).
    pub streams: usize,
    /// Frames a primed stream could not deliver in time (silence in their place), summed over
    /// the streams.
    pub underrun_frames: u64,
    /// Frames dropped from a stream that held more than the latency bound.
    pub dropped_frames: u64,
    /// Streams whose producer went away and whose ring is now empty (removed by this call).
    pub ended: usize,
}

/// The queues new and finished inputs travel through (shared by the control and mixing
/// threads).
pub struct MixerInputs {
    new: ArrayQueue<Consumer<f32>>,
    done: ArrayQueue<Consumer<f32>>,
}

impl Default for MixerInputs {
    fn default() -> Self {
        Self {
            new: ArrayQueue::new(MAX_INPUTS),
            done: ArrayQueue::new(MAX_INPUTS),
        }
    }
}

impl MixerInputs {
    /// Hands a stream's ring to the mixer (control thread). `Err` gives it back when too many
    /// are pending.
    pub fn add(&self, ring: Consumer<f32>) -> Result<(), Consumer<f32>> {
        self.new.push(ring)
    }

    /// A finished stream's ring, to be dropped here (control thread), not on the mixing thread.
    pub fn take_done(&self) -> Option<Consumer<f32>> {
        self.done.pop()
    }
}

pub struct Mixer {
    channels: usize,
    /// Frames a new stream must hold before it is mixed.
    prefill: usize,
    /// Frames a stream may hold after a block; beyond, the oldest are dropped down to `prefill`.
    max_fill: usize,
    inputs: Vec<Input>,
}

impl Mixer {
    /// `prefill`/`max_fill` in frames. Allocates its input list once (here, not in `mix`).
    pub fn new(channels: usize, prefill: usize, max_fill: usize) -> Self {
        Self {
            channels: channels.max(1),
            prefill,
            max_fill: max_fill.max(prefill),
            inputs: Vec::with_capacity(MAX_INPUTS),
        }
    }

    /// Fills `out` (interleaved, a whole number of frames) with the sum of every stream's next
    /// frames. Real-time safe.
    pub fn mix(&mut self, q: &MixerInputs, out: &mut [f32]) -> MixReport {
        while self.inputs.len() < MAX_INPUTS {
            match q.new.pop() {
                Some(ring) => self.inputs.push(Input {
                    ring,
                    primed: false,
                }),
                None => break,
            }
        }
        out.fill(0.0);
        let ch = self.channels;
        let frames = out.len() / ch;
        let mut r = MixReport::default();
        let mut i = 0;
        while i < self.inputs.len() {
            let input = &mut self.inputs[i];
            let held = input.ring.slots() / ch;
            if input.ring.is_abandoned() && held == 0 {
                let gone = self.inputs.swap_remove(i);
                // The done queue holds MAX_INPUTS: never full while at most that many live.
                let _ = q.done.push(gone.ring);
                r.ended += 1;
                continue;
            }
            i += 1;
            if !input.primed {
                // A stream whose producer ended before its buffer filled plays what it has.
                if held < self.prefill && !input.ring.is_abandoned() {
                    continue;
                }
                input.primed = true;
            }
            let take = held.min(frames);
            if let Ok(chunk) = input.ring.read_chunk(take * ch) {
                let (a, b) = chunk.as_slices();
                for (o, s) in out.iter_mut().zip(a.iter().chain(b.iter())) {
                    *o += *s;
                }
                chunk.commit_all();
            }
            if take > 0 {
                r.active += 1;
            }
            if !input.ring.is_abandoned() {
                r.underrun_frames += (frames - take) as u64;
            }
            let left = held - take;
            if left > self.max_fill {
                let drop = left - self.prefill;
                if let Ok(chunk) = input.ring.read_chunk(drop * ch) {
                    chunk.commit_all();
                }
                r.dropped_frames += drop as u64;
            }
        }
        r.streams = self.inputs.len();
        r
    }
}
