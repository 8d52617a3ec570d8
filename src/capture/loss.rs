//! Detects audio a host loses without saying so, by comparing the frames a device delivered
//! with the wall clock (cpal's PulseAudio host with small buffers delivered as little as 7-75 %
//! of the audio with its timestamps and error callback silent; under heavy load larger buffers
//! lose some too).
//!
//! Threads: the audio thread (cpal's data callback). Real-time safe: no allocation, no lock,
//! no syscall beyond the vDSO clock read the callback already makes, no panic.
//!
//! Rule: the deficit D = frames the clock says should have arrived since the anchor minus the
//! frames that did. A deficit above [`LOSS_NS`] that is not made up within [`PERSIST_NS`] (a
//! host catching up after a scheduling stall makes it up; stalls over 1 s were measured on a
//! loaded 2-core machine) is counted as lost, and the next
//! packet is flagged; then the anchor moves to now. While D stays small the anchor moves every
//! [`REANCHOR_NS`], so the drift between the device clock and the system clock (~100 ppm at
//! worst, 1 ms per 10 s) never accumulates into a false loss.

/// A deficit this long (in time) may be a loss.
pub const LOSS_NS: u64 = 100_000_000;
/// ... and is one once it persists this long.
pub const PERSIST_NS: u64 = 3_000_000_000;
/// A small deficit is forgotten (the anchor moves) this often.
pub const REANCHOR_NS: u64 = 10_000_000_000;

pub struct LossDetector {
    rate: u64,
    anchor_ns: Option<u64>,
    received: u64,
    over_since: Option<u64>,
}

impl LossDetector {
    /// `rate`: the device's frames per second.
    pub fn new(rate: u32) -> Self {
        Self {
            rate: rate.max(1) as u64,
            anchor_ns: None,
            received: 0,
            over_since: None,
        }
    }

    pub fn rate(&self) -> u32 {
        self.rate as u32
    }

    fn deficit(&self, now_ns: u64) -> u64 {
        let Some(anchor) = self.anchor_ns else {
            return 0;
        };
        let elapsed = now_ns.saturating_sub(anchor) as u128;
        let expected = (elapsed * self.rate as u128 / 1_000_000_000) as u64;
        expected.saturating_sub(self.received)
    }

    fn reanchor(&mut self, now_ns: u64) {
        self.anchor_ns = Some(now_ns);
        self.received = 0;
        self.over_since = None;
    }

    /// A callback delivered `frames` at `now_ns`. Returns the device frames found lost, if any.
    pub fn delivered(&mut self, frames: u64, now_ns: u64) -> Option<u64> {
        let Some(anchor) = self.anchor_ns else {
            // The first callback starts the clock (its frames were captured before it).
            self.reanchor(now_ns);
            return None;
        };
        self.received += frames;
        let deficit = self.deficit(now_ns);
        if deficit * 1_000_000_000 / self.rate > LOSS_NS {
            let since = *self.over_since.get_or_insert(now_ns);
            if now_ns - since >= PERSIST_NS {
                self.reanchor(now_ns);
                return Some(deficit);
            }
        } else {
            self.over_since = None;
            if now_ns - anchor >= REANCHOR_NS {
                self.reanchor(now_ns);
            }
        }
        None
    }

    /// The stream stops at `now_ns`: a deficit above [`LOSS_NS`] is lost (nothing more comes).
    pub fn finish(&mut self, now_ns: u64) -> Option<u64> {
        let deficit = self.deficit(now_ns);
        self.anchor_ns = None;
        (deficit * 1_000_000_000 / self.rate > LOSS_NS).then_some(deficit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_steady_stream_with_jitter_and_drift_loses_nothing() {
        let mut d = LossDetector::new(48_000);
        // 480-frame callbacks every 10 ms for 10 minutes, the device clock 100 ppm slow, with
        // a 300 ms scheduling stall every minute that the host makes up at once.
        let mut t = 0u64;
        for i in 0..60_000u64 {
            t += 10 * MS + 1_000; // 100 ppm
            let stalled = i % 6000 == 3000;
            if stalled {
                t += 300 * MS;
                assert_eq!(d.delivered(480 + 14_400, t), None);
            } else {
                assert_eq!(d.delivered(480, t), None, "at callback {i}");
            }
        }
        assert_eq!(d.finish(t), None);
    }

    #[test]
    fn a_host_that_delivers_a_fifth_of_the_audio_is_counted_within_two_percent() {
        let mut d = LossDetector::new(48_000);
        let (mut t, mut lost, mut got) = (0u64, 0u64, 0u64);
        for _ in 0..300 {
            t += 10 * MS;
            got += 96;
            lost += d.delivered(96, t).unwrap_or(0);
        }
        lost += d.finish(t).unwrap_or(0);
        let total = got + lost;
        let clock = 48_000 * 3 - 480; // the first callback starts the clock
        assert!(
            (total as f64 / clock as f64 - 1.0).abs() < 0.02,
            "{got} + {lost} vs {clock}"
        );
    }
}
