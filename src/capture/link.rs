//! What a device stream's callbacks share with the thread that watches it (`reconnect.rs`):
//! the loss its host reported, where its audio ended, and the return waiting for its first
//! audio. Plus the `reconnect` policy (backoff, give-up) that thread follows.
//!
//! Threads: [`Link::report_loss`] runs in cpal's error callback (for ALSA, the audio thread);
//! [`Link::audio`] and [`Link::returned`] in the data callback (audio thread). Both are
//! real-time safe: atomics, a lock-free push of an already built error, an unpark. The rest
//! runs on the reconnect thread or the JS thread.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::Duration;

use crossbeam_queue::ArrayQueue;

use crate::core::{Counters, Pipeline};
use crate::error::Error;

/// `reconnect`: how a capture waits for a lost device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Wait before the first open attempt after a loss.
    pub initial_delay: Duration,
    /// Longest wait between attempts (the wait doubles from `initial_delay` up to this).
    pub max_delay: Duration,
    /// Give up (the capture fails with `DeviceLost`) once the device has been away this long;
    /// `None`: wait until stopped.
    pub give_up_after: Option<Duration>,
}

impl ReconnectPolicy {
    /// The wait before attempt `n` (1-based): `initial_delay * 2^(n-1)`, at most `max_delay`.
    pub fn delay(&self, n: u32) -> Duration {
        let doubled = self
            .initial_delay
            .checked_mul(1u32 << n.saturating_sub(1).min(20))
            .unwrap_or(self.max_delay);
        doubled.min(self.max_delay)
    }
}

/// Shared by one reconnect thread, the streams it opens, and the JS thread that stops it.
pub struct Link {
    /// A fatal error the host reported (the first of a stream; the rest are its repeats).
    lost: ArrayQueue<Error>,
    /// The reconnect thread, unparked on a loss.
    watcher: OnceLock<Thread>,
    /// Set by stop(): streams opened from now on (by a reconnect thread finishing an attempt
    /// after the capture stopped) deliver nothing.
    stopped: AtomicBool,
    /// Capture time (ns since the pipeline's epoch) right after the last frame delivered.
    end_ns: AtomicU64,
    /// Opens it took to get the device back, while its first audio is awaited (0: none).
    resume: AtomicU32,
    /// The device is away and the frames missing since `end_ns` are not counted yet.
    gap_open: AtomicBool,
    /// Data callbacks alive (a host may drop a stream's callback after the stream: cpal's
    /// PulseAudio host leaves it to its client's reactor thread).
    callbacks: AtomicU32,
    /// Bumped when a lost stream is retired: callbacks of an older generation do nothing.
    generation: AtomicU32,
    /// The server's default moved away from the device a default capture follows
    /// (`follow.rs`): the reconnect thread switches to the new default.
    switch: AtomicBool,
}

/// [`Link::expect_return`]'s value for a switch to the new default (not a return after a loss):
/// its first audio counts the gap and flags the packet, but is no reconnect.
pub const SWITCH: u32 = u32::MAX;

impl Link {
    /// `start_ns`: when the first stream starts (its audio is expected from then on).
    pub fn new(start_ns: u64) -> Self {
        Self {
            lost: ArrayQueue::new(1),
            watcher: OnceLock::new(),
            stopped: AtomicBool::new(false),
            end_ns: AtomicU64::new(start_ns),
            resume: AtomicU32::new(0),
            gap_open: AtomicBool::new(false),
            callbacks: AtomicU32::new(0),
            generation: AtomicU32::new(0),
            switch: AtomicBool::new(false),
        }
    }

    /// A data callback is made: its generation (it does nothing once that is retired).
    pub fn callback_made(&self) -> u32 {
        self.callbacks.fetch_add(1, Ordering::AcqRel);
        self.generation.load(Ordering::Acquire)
    }

    /// A data callback is gone (after it delivered its partial packet). Real-time safe.
    pub fn callback_gone(&self) {
        self.callbacks.fetch_sub(1, Ordering::AcqRel);
    }

    /// Data callbacks alive.
    pub fn callbacks(&self) -> u32 {
        self.callbacks.load(Ordering::Acquire)
    }

    /// Whether a callback of generation `g` is retired. Real-time safe.
    pub fn is_retired(&self, g: u32) -> bool {
        self.generation.load(Ordering::Acquire) != g
    }

    /// Retires the callbacks made so far: from now on they deliver nothing.
    pub fn retire(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn set_watcher(&self, t: Thread) {
        let _ = self.watcher.set(t);
    }

    /// cpal's error callback: a fatal error of the current stream. Real-time safe.
    pub fn report_loss(&self, e: Error) {
        let _ = self.lost.push(e);
        if let Some(t) = self.watcher.get() {
            t.unpark();
        }
    }

    /// The default a capture follows changed (hub thread): wakes the reconnect thread.
    #[cfg_attr(not(server_path), allow(dead_code))] // only the server path has a default to follow
    pub fn request_switch(&self) {
        self.switch.store(true, Ordering::Release);
        if let Some(t) = self.watcher.get() {
            t.unpark();
        }
    }

    /// Whether a switch was requested since the last call.
    pub fn take_switch(&self) -> bool {
        self.switch.swap(false, Ordering::AcqRel)
    }

    pub fn take_loss(&self) -> Option<Error> {
        self.lost.pop()
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        if let Some(t) = self.watcher.get() {
            t.unpark();
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// The device went away: from now on the frames after `end_ns` are missing.
    pub fn open_gap(&self) {
        self.gap_open.store(true, Ordering::Release);
    }

    /// The capture ends with the loss: the open gap is not missing audio.
    pub fn discard_gap(&self) {
        self.gap_open.store(false, Ordering::Release);
    }

    pub fn is_away(&self) -> bool {
        self.gap_open.load(Ordering::Acquire)
    }

    /// The next stream to start is the return after `attempts` opens (0: not a return).
    pub fn expect_return(&self, attempts: u32) {
        self.resume.store(attempts, Ordering::Release);
    }

    /// A return whose stream never delivered: its attempts, and it is no longer awaited.
    pub fn cancel_return(&self) -> u32 {
        self.resume.swap(0, Ordering::AcqRel)
    }

    /// Data callback, every callback: the stream's audio now runs up to `end_ns`. Real-time
    /// safe.
    pub fn audio(&self, end_ns: u64) {
        self.end_ns.store(end_ns, Ordering::Release);
    }

    /// Data callback, before [`Link::audio`]: if this is the first audio of a return, counts
    /// the gap up to `first_ns` (the capture time of this callback's first frame) and returns
    /// `(attempts, gap output frames)` for the packetizer to flag; after a switch to a new
    /// default ([`SWITCH`]), `(0, gap)`: flagged, counted as a gap, not as a reconnect.
    /// Real-time safe.
    pub fn returned(&self, p: &Pipeline, first_ns: u64) -> Option<(u32, u64)> {
        if self.resume.load(Ordering::Acquire) == 0 {
            return None;
        }
        let attempts = self.resume.swap(0, Ordering::AcqRel);
        if attempts == 0 {
            return None;
        }
        let gap = self.close_gap(p, first_ns).unwrap_or(0);
        if attempts == SWITCH {
            return Some((0, gap));
        }
        Counters::add(&p.counters.reconnects, 1);
        Some((attempts, gap))
    }

    /// Counts the open gap (up to `now_ns`) in `gap_frames`, once: returns its output frames,
    /// or `None` if no gap was open (or another thread counted it).
    pub fn close_gap(&self, p: &Pipeline, now_ns: u64) -> Option<u64> {
        if !self.gap_open.swap(false, Ordering::AcqRel) {
            return None;
        }
        let ns = now_ns.saturating_sub(self.end_ns.load(Ordering::Acquire));
        let frames = (ns as u128 * p.layout.sample_rate as u128 / 1_000_000_000) as u64;
        Counters::add(&p.counters.gap_frames, frames);
        Some(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{OutputFormat, PacketLayout};

    /// A 48 kHz stereo pipeline of 4 slots.
    fn pipeline() -> Pipeline {
        let layout = PacketLayout {
            sample_rate: 48_000,
            channels: 2,
            format: OutputFormat::S16,
            frames_per_packet: 480,
        };
        Pipeline::new(layout, 4)
    }

    #[test]
    fn the_wait_doubles_from_the_initial_delay_up_to_the_maximum() {
        let p = ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            give_up_after: None,
        };
        let waits: Vec<u128> = (1..=7).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn a_gap_is_counted_once_whoever_closes_it() {
        let p = pipeline();
        let link = Link::new(0);
        link.audio(1_000_000_000);
        assert_eq!(link.close_gap(&p, 2_000_000_000), None, "no gap open yet");
        link.open_gap();
        link.expect_return(3);
        // The return's first audio starts 500 ms after the last frame: 24000 frames at 48 kHz.
        assert_eq!(link.returned(&p, 1_500_000_000), Some((3, 24_000)));
        assert_eq!(
            link.returned(&p, 1_600_000_000),
            None,
            "only the first audio"
        );
        assert_eq!(link.close_gap(&p, 9_000_000_000), None, "already counted");
        assert_eq!(Counters::get(&p.counters.gap_frames), 24_000);
        assert_eq!(Counters::get(&p.counters.reconnects), 1);
    }

    #[test]
    fn a_switch_to_a_new_default_counts_its_gap_but_is_no_reconnect() {
        let p = pipeline();
        let link = Link::new(0);
        link.audio(1_000_000_000);
        assert!(!link.take_switch());
        link.request_switch();
        assert!(link.take_switch(), "a request is taken once");
        assert!(!link.take_switch());
        link.open_gap();
        link.expect_return(SWITCH);
        // The new device's first audio 20 ms after the old one's last frame: 960 frames.
        assert_eq!(link.returned(&p, 1_020_000_000), Some((0, 960)));
        assert_eq!(Counters::get(&p.counters.gap_frames), 960);
        assert_eq!(
            Counters::get(&p.counters.reconnects),
            0,
            "a switch is not a reconnect"
        );
    }
}
