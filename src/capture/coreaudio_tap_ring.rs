//! The macOS process tap's audio on its way to the mixer: interleaved f32 stereo at the tap's
//! rate into the lock-free ring whose reader the pacing thread mixes (`app_mix.rs`). The tap
//! delivers at its own rate (the output device's: 48 kHz on most Macs, 44.1 kHz on some) and
//! Core Audio converts nothing for a tap: the pacing thread mixes at the tap's rate and its chain
//! (`core/chain.rs`) resamples to the capture's, as for a device.
//!
//! Threads: built on the JS thread; [`TapRing::push`] runs on the IO proc's audio thread and is
//! real-time safe: no allocation, no lock, no syscall, no panic. A full ring drops the newest
//! frames (the mixer bounds what a ring may hold far below its size, so only a stalled pacing
//! thread fills it).

use rtrb::Producer;

/// Channels in the ring: the tap is a stereo mixdown.
pub const CHANNELS: usize = 2;

pub struct TapRing {
    ring: Producer<f32>,
}

impl TapRing {
    pub fn new(ring: Producer<f32>) -> Self {
        Self { ring }
    }

    /// Writes what fits of `stereo` (interleaved), in whole frames. Real-time safe.
    pub fn push(&mut self, stereo: &[f32]) {
        let n = self.ring.slots().min(stereo.len()) / CHANNELS * CHANNELS;
        if n == 0 {
            return;
        }
        if let Ok(chunk) = self.ring.write_chunk_uninit(n) {
            chunk.fill_from_iter(stereo.iter().copied());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(c: &mut rtrb::Consumer<f32>) -> Vec<f32> {
        let n = c.slots();
        c.read_chunk(n).unwrap().into_iter().collect()
    }

    #[test]
    fn samples_pass_through_bit_exact_at_any_callback_size() {
        let (p, mut c) = rtrb::RingBuffer::new(4096);
        let mut t = TapRing::new(p);
        let input: Vec<f32> = (0..2 * 1500).map(|i| i as f32 * 0.001).collect();
        for frames in [1usize, 479, 480, 481, 3 * 480 + 7] {
            let block = &input[..frames * 2];
            t.push(block);
            assert_eq!(drain(&mut c), block);
        }
    }

    #[test]
    fn a_full_ring_keeps_whole_frames_and_drops_the_rest() {
        let (p, mut c) = rtrb::RingBuffer::new(5);
        let mut t = TapRing::new(p);
        t.push(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(drain(&mut c), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn pushing_allocates_nothing() {
        let (p, mut c) = rtrb::RingBuffer::new(1 << 15);
        let mut t = TapRing::new(p);
        let block = vec![0.25f32; 2 * 513];
        for _ in 0..20 {
            let ((), allocs) = crate::test_alloc::counted(|| t.push(&block));
            assert_eq!(allocs, 0);
            drain(&mut c);
        }
    }
}
