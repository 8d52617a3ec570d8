//! Cuts blocks of interleaved samples of any length into packets of `frames_per_packet` frames,
//! converting the sample format into pool slots on the way.
//!
//! Threads: owned by the producer (the cpal callback or the synthetic source thread).
//! [`Packetizer::push`] with [`MissPolicy::Drop`] is real-time safe: no allocation, no lock, no
//! panic; its only syscall is one futex wake of the relay per call, and only when a packet was
//! completed. [`MissPolicy::Wait`] parks the producer instead of dropping: never for a device.
//!
//! Misses: when a packet needs a slot and none is free, the frames of one whole packet are
//! dropped and counted (`misses += 1`, `dropped_frames += frames`), the gap is counted once in
//! `discontinuities`, and the next packet delivered carries [`FLAG_DISCONTINUITY`]. Packet
//! boundaries therefore stay on multiples of `frames_per_packet` frames since the start.
//! The first miss of a run also sets `pipeline.drop_pending` and wakes the relay, so JS
//! reports the loss (`'overrun'`) even while no packet can be made at all.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::Duration;

use super::convert::{convert_into, Sample};
use super::pipeline::{Counters, Descriptor, Pipeline, FLAG_DISCONTINUITY, FLAG_RECONNECT};

/// What the producer does when no slot is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissPolicy {
    /// Drop one packet's frames and count a miss (real time: devices, paced synthetic).
    Drop,
    /// Wait for a slot to come back (unpaced synthetic source: a benchmark must not drop).
    Wait,
}

pub struct Packetizer {
    pipeline: Arc<Pipeline>,
    relay: Thread,
    policy: MissPolicy,
    /// The slot being filled, if any.
    current: Option<u32>,
    /// Frames already in `current`.
    filled: u32,
    /// Frames still to drop of a packet that found no slot.
    skipping: u32,
    /// Capture time of `current`'s first frame.
    packet_time_ns: u64,
    discontinuity: bool,
    /// A device return to report on the next packet: `(attempts, gap_frames)`.
    reconnect: Option<(u32, u64)>,
    /// In a run of misses (reset by the next slot acquired).
    dropping: bool,
    /// The relay has something new to hand JS (a packet completed, a run of drops began).
    wake_pending: bool,
    /// The run of the capture this producer was made for (see `RunGate`).
    run: u32,
}

/// Outcome of [`Packetizer::push`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Every frame was placed or counted as dropped.
    All,
    /// The pipeline stopped while the producer waited for a slot; the rest of the block was
    /// not consumed.
    Stopped,
}

impl Packetizer {
    /// `relay` is woken (unparked) once per `push` that completed a packet or began a run of
    /// drops.
    pub fn new(pipeline: Arc<Pipeline>, relay: Thread, policy: MissPolicy) -> Self {
        let run = pipeline.gate.current();
        Self {
            run,
            pipeline,
            relay,
            policy,
            current: None,
            filled: 0,
            skipping: 0,
            packet_time_ns: 0,
            discontinuity: false,
            reconnect: None,
            dropping: false,
            wake_pending: false,
        }
    }

    /// Places one block of interleaved frames (`block.len()` a multiple of the channel count;
    /// a trailing partial frame is ignored) captured at `block_time_ns` (first frame, on the
    /// pipeline's clock).
    pub fn push<S: Sample>(&mut self, block: &[S], block_time_ns: u64) -> Pushed {
        // A refcount bump (no allocation) so `self` stays free to mutate below.
        let pipeline = Arc::clone(&self.pipeline);
        let p = &*pipeline;
        let ch = p.layout.channels as usize;
        let fpp = p.layout.frames_per_packet;
        let bpf = p.layout.bytes_per_frame();
        let total = (block.len() / ch) as u32;
        let mut off: u32 = 0;
        let mut outcome = Pushed::All;
        while off < total {
            if self.skipping > 0 {
                let n = self.skipping.min(total - off);
                self.skipping -= n;
                off += n;
                Counters::add(&p.counters.dropped_frames, n as u64);
                continue;
            }
            let slot = match self.current {
                Some(s) => s,
                None => match p.pool.try_acquire() {
                    Some(s) => {
                        self.dropping = false;
                        self.current = Some(s);
                        self.filled = 0;
                        self.packet_time_ns = block_time_ns
                            + off as u64 * 1_000_000_000 / p.layout.sample_rate as u64;
                        s
                    }
                    None if self.policy == MissPolicy::Wait => {
                        if !p.is_running() {
                            outcome = Pushed::Stopped;
                            break;
                        }
                        p.pool.wait_for_free(Duration::from_millis(50));
                        continue;
                    }
                    None => {
                        p.pool.record_miss();
                        if !self.discontinuity {
                            Counters::add(&p.counters.discontinuities, 1);
                        }
                        self.discontinuity = true;
                        if !self.dropping {
                            self.dropping = true;
                            p.drop_pending.store(true, Ordering::Release);
                            self.wake_pending = true;
                        }
                        self.skipping = fpp;
                        continue;
                    }
                },
            };
            let n = (fpp - self.filled).min(total - off);
            let src = &block[off as usize * ch..(off + n) as usize * ch];
            // SAFETY: `slot` is Filling and owned by this producer alone (pool state machine);
            // the range `filled..filled+n` frames lies inside the slot because
            // `filled + n <= fpp` and `fpp * bpf <= SLOT_BYTES` (PacketLayout::is_valid).
            let dst = unsafe {
                std::slice::from_raw_parts_mut(
                    p.pool.slot_ptr(slot).add(self.filled as usize * bpf),
                    n as usize * bpf,
                )
            };
            convert_into(src, p.layout.format, dst);
            self.filled += n;
            off += n;
            Counters::add(&p.counters.frames, n as u64);
            if self.filled == fpp {
                self.complete();
            }
        }
        self.wake_relay();
        outcome
    }

    /// Marks a gap in the source (a host xrun, a timestamp jump): the next packet is flagged as
    /// a discontinuity and the gap counted once. Real-time safe.
    pub fn mark_gap(&mut self) {
        if !self.discontinuity {
            Counters::add(&self.pipeline.counters.discontinuities, 1);
        }
        self.discontinuity = true;
    }

    /// Marks the return of a lost device after `gap_frames` output frames of absence and
    /// `attempts` opens: a gap ([`Packetizer::mark_gap`]) whose next packet also carries
    /// [`FLAG_RECONNECT`], the attempts and the gap length. Real-time safe.
    pub fn mark_reconnect(&mut self, attempts: u32, gap_frames: u64) {
        self.mark_gap();
        let (a, g) = self.reconnect.unwrap_or((0, 0));
        self.reconnect = Some((a + attempts, g + gap_frames));
    }

    /// Ends the stream: a partly filled packet is delivered short (nothing is lost silently),
    /// an empty one goes back to the pool. Wakes the relay.
    pub fn finish(&mut self) {
        if self.current.is_some() {
            if self.filled > 0 {
                self.complete();
            } else if let Some(s) = self.current.take() {
                self.pipeline.pool.recycle(s);
            }
        }
        self.wake_relay();
    }

    fn complete(&mut self) {
        let Some(slot) = self.current.take() else {
            return;
        };
        let p = &*self.pipeline;
        // Its run was stopped (a producer that outlived stop()): 'stop' may have been emitted
        // already, so nothing is queued; the frames are counted as dropped.
        let Some(_entered) = p.gate.enter(self.run) else {
            p.pool.recycle(slot);
            Counters::add(&p.counters.dropped_frames, self.filled as u64);
            self.filled = 0;
            return;
        };
        let published = p.pool.publish(slot);
        debug_assert!(published);
        let (attempts, gap_frames) = self.reconnect.take().unwrap_or((0, 0));
        let mut flags = if self.discontinuity {
            FLAG_DISCONTINUITY
        } else {
            0
        };
        if attempts > 0 {
            flags |= FLAG_RECONNECT;
        }
        let desc = Descriptor {
            slot,
            frames: self.filled,
            seq: p.next_seq(),
            capture_time_ns: self.packet_time_ns,
            flags,
            attempts,
            gap_frames,
        };
        self.discontinuity = false;
        self.filled = 0;
        if p.ready.push(desc).is_err() {
            // Unreachable: the queue holds as many descriptors as the pool has slots. Keep the
            // slot and the counts honest anyway.
            p.pool.recycle(slot);
            Counters::add(&p.counters.dropped_frames, desc.frames as u64);
            return;
        }
        self.wake_pending = true;
    }

    fn wake_relay(&mut self) {
        if std::mem::take(&mut self.wake_pending) {
            self.relay.unpark();
        }
    }
}

impl Drop for Packetizer {
    /// A producer that goes away without `finish()` (a device stream being dropped) still
    /// delivers its partial packet and returns nothing to limbo.
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
#[path = "packetizer_tests.rs"]
mod tests;
