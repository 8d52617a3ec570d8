//! What the producer, the relay and the JS thread share for one capture: the pool, the bounded
//! ready queue of packet descriptors, the packet layout and the exact event counters (the
//! counters' and the queued events' types are `events.rs`).
//!
//! Threads: created on the JS thread; the producer pushes descriptors and bumps audio counters
//! (real-time safe: atomics and a lock-free queue only); the relay reads `ready` and the
//! `scheduled` flag; the JS thread drains. Kept alive by an `Arc` in the capture and in every
//! external Buffer's finalizer hint.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use crossbeam_queue::ArrayQueue;

use super::convert::OutputFormat;
// Also where the producer (`packetizer.rs`) takes `Counters` from.
pub(super) use super::events::Counters;
use super::events::{DeviceChange, Disconnect};
use super::gate::RunGate;
use super::pool::{Pool, PoolStats, SLOT_BYTES};
use crate::error::{Error, ErrorKind};

/// Flag bit: frames were lost right before this packet (pool miss or source gap).
pub const FLAG_DISCONTINUITY: u32 = 1;
/// Flag bit: the first packet after the device came back (`reconnect`); the descriptor's
/// `gap_frames` and `attempts` say how long it was away and how many opens it took. Always set
/// together with [`FLAG_DISCONTINUITY`].
pub const FLAG_RECONNECT: u32 = 2;

/// One full (or final, shorter) packet waiting for JS. `Copy`, so queueing it never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub slot: u32,
    pub frames: u32,
    pub seq: u64,
    /// Nanoseconds since the pipeline's epoch at the packet's first frame.
    pub capture_time_ns: u64,
    pub flags: u32,
    /// With [`FLAG_RECONNECT`]: the opens it took to get the device back; else 0.
    pub attempts: u32,
    /// With [`FLAG_RECONNECT`]: output frames missing right before this packet because the
    /// device was away; else 0.
    pub gap_frames: u64,
}

/// The layout of every packet of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketLayout {
    pub sample_rate: u32,
    pub channels: u16,
    pub format: OutputFormat,
    pub frames_per_packet: u32,
}

impl PacketLayout {
    pub fn bytes_per_frame(&self) -> usize {
        self.channels as usize * self.format.bytes_per_sample()
    }

    /// The largest `frames_per_packet` that fits one slot.
    pub fn max_frames_per_packet(channels: u16, format: OutputFormat) -> u32 {
        (SLOT_BYTES / (channels as usize * format.bytes_per_sample())) as u32
    }

    pub fn is_valid(&self) -> bool {
        self.sample_rate > 0
            && self.channels > 0
            && self.frames_per_packet > 0
            && self.frames_per_packet <= Self::max_frames_per_packet(self.channels, self.format)
    }
}

/// See [`Pipeline::liveness`].
pub type Liveness = Box<dyn Fn() -> Option<Error> + Send + Sync>;

/// A server-backed source silent this long gets its liveness probed (each relay tick).
pub const PROBE_AFTER_NS: u64 = 300_000_000;

pub struct Pipeline {
    pub pool: Pool,
    pub ready: ArrayQueue<Descriptor>,
    pub layout: PacketLayout,
    pub counters: Counters,
    /// Set by the relay when it asks JS to drain, cleared by JS *before* draining.
    pub scheduled: AtomicBool,
    /// False tells the producer to stop.
    pub running: AtomicBool,
    /// Set by a host error callback: the next packet is flagged as a discontinuity.
    pub gap_pending: AtomicBool,
    /// Fatal source errors waiting for the JS thread (the capture stops). Lock-free, bounded.
    pub errors: ArrayQueue<Error>,
    /// Device losses a `reconnect` capture survives, waiting for the JS thread (`'disconnect'`).
    /// Lock-free, bounded: pushed by the reconnect thread, at most one per loss.
    pub disconnects: ArrayQueue<Disconnect>,
    /// Switches of a default capture to the new default, waiting for the JS thread
    /// (`'devicechange'`). Lock-free, bounded: pushed by the reconnect thread.
    pub device_changes: ArrayQueue<DeviceChange>,
    /// Stall watchdog: if non-zero, a running source that delivers nothing for this many ns is
    /// reported as lost (a host that goes silent instead of reporting an error).
    pub stall_after_ns: AtomicU64,
    /// When the source last delivered data (ns since the epoch).
    pub last_data_ns: AtomicU64,
    /// Set by the producer when a run of dropped frames begins (real-time safe: one store), so
    /// the relay asks JS to report it even if no packet follows for a long time. Cleared by JS.
    pub drop_pending: AtomicBool,
    /// Set once the capture is closed: the producer is gone for good and the slot memory is
    /// freed as soon as no slot is out (JS thread).
    pub closed: AtomicBool,
    /// Liveness probe of a server-backed source, run by the relay once the source has been
    /// silent for [`PROBE_AFTER_NS`]: `Some(error)` means the server is gone (the capture fails
    /// with it). Set once before the source starts; runs on the relay thread, never blocks long.
    pub liveness: OnceLock<Liveness>,
    /// Which run may publish packets: opened by start, sealed by stop.
    pub gate: RunGate,
    next_seq: AtomicU64,
    epoch: Instant,
}

impl Pipeline {
    /// Panics if memory is short: for tests. Captures use [`Pipeline::try_new`].
    #[cfg(test)]
    pub fn new(layout: PacketLayout, pool_size: usize) -> Self {
        Self::try_new(layout, pool_size).expect("pipeline allocation failed")
    }

    /// Allocates the pool; an allocation failure is an [`ErrorKind::OutOfMemory`] error.
    pub fn try_new(layout: PacketLayout, pool_size: usize) -> Result<Self, Error> {
        assert!(layout.is_valid(), "invalid packet layout {layout:?}");
        let pool = Pool::try_new(pool_size).map_err(|e| {
            Error::new(
                ErrorKind::OutOfMemory,
                format!(
                    "could not allocate the pool: {} slots of {SLOT_BYTES} bytes ({} bytes)",
                    pool_size, e.bytes
                ),
            )
        })?;
        Ok(Self {
            pool,
            // Every descriptor holds a distinct slot, so this queue can never be full.
            ready: ArrayQueue::new(pool_size),
            layout,
            counters: Counters::default(),
            scheduled: AtomicBool::new(false),
            running: AtomicBool::new(false),
            gap_pending: AtomicBool::new(false),
            errors: ArrayQueue::new(4),
            disconnects: ArrayQueue::new(4),
            device_changes: ArrayQueue::new(8),
            stall_after_ns: AtomicU64::new(0),
            last_data_ns: AtomicU64::new(0),
            drop_pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            liveness: OnceLock::new(),
            gate: RunGate::default(),
            next_seq: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// The seq the next packet will get.
    pub fn peek_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// Nanoseconds from this pipeline's epoch to `t` (0 if `t` is earlier).
    pub fn ns_since_epoch(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    pub fn now_ns(&self) -> u64 {
        self.ns_since_epoch(Instant::now())
    }

    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    /// True when the JS thread has something to do: packets, an error, a loss or a drop to
    /// report.
    pub fn has_work(&self) -> bool {
        !self.ready.is_empty()
            || !self.errors.is_empty()
            || !self.disconnects.is_empty()
            || !self.device_changes.is_empty()
            || self.drop_pending.load(Ordering::Acquire)
    }

    /// The capture is closed (its producer stopped for good): packets still queued will never
    /// be delivered, so their slots go back; then the slot memory is freed if no Buffer points
    /// into it. Returns the bytes freed. JS thread.
    pub fn close(&self) -> Option<usize> {
        self.closed.store(true, Ordering::Release);
        while let Some(d) = self.ready.pop() {
            self.pool.recycle(d.slot);
        }
        self.pool.free_memory()
    }

    /// After a slot came back (release or finalizer): frees the slot memory of a closed capture
    /// once no slot is out. Returns the bytes freed. JS thread.
    pub fn reclaim(&self) -> Option<usize> {
        if self.closed.load(Ordering::Acquire) {
            self.pool.free_memory()
        } else {
            None
        }
    }

    /// Reports a fatal source error (from any thread, lock-free) and stops the producer.
    /// Only the first few errors are kept; later ones are dropped (the capture is stopping).
    pub fn fail(&self, error: Error) {
        let _ = self.errors.push(error);
        self.running.store(false, Ordering::Release);
    }

    /// True when a watched source has been silent for longer than its stall limit.
    pub fn stalled(&self) -> bool {
        let limit = self.stall_after_ns.load(Ordering::Acquire);
        limit > 0
            && self.is_running()
            && self
                .now_ns()
                .saturating_sub(self.last_data_ns.load(Ordering::Acquire))
                > limit
    }

    /// The liveness probe's verdict when the source has been silent long enough to ask.
    pub fn probe_liveness(&self) -> Option<Error> {
        let probe = self.liveness.get()?;
        let silent = self
            .now_ns()
            .saturating_sub(self.last_data_ns.load(Ordering::Acquire));
        (self.is_running() && silent > PROBE_AFTER_NS)
            .then(probe)
            .flatten()
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Bytes of a packet of `frames` frames.
    pub fn packet_bytes(&self, frames: u32) -> usize {
        frames as usize * self.layout.bytes_per_frame()
    }

    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }
}
