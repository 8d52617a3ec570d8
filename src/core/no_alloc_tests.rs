//! Proves mechanically that the producer path allocates nothing after start-up, with the
//! counting global allocator of test builds (`crate::test_alloc`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;
use crate::source::{generate, Waveform};
use crate::test_alloc::counted;

#[test]
fn the_counting_allocator_sees_an_allocation() {
    let (_, n) = counted(|| std::hint::black_box(vec![1u8; 64]));
    assert!(n >= 1, "the detector must be able to fail");
}

#[test]
fn the_producer_path_allocates_nothing_after_start_up() {
    for format in [OutputFormat::S16, OutputFormat::F32] {
        let layout = PacketLayout {
            sample_rate: 48_000,
            channels: 2,
            format,
            frames_per_packet: 480,
        };
        let p = Arc::new(Pipeline::new(layout, 8));
        p.running.store(true, Ordering::Release);
        // A real relay thread, so the wake-up syscall path is exercised too.
        let relay = Relay::spawn(p.clone(), || Notified::Queued).unwrap();
        // A consumer on another thread returns slots, racing the producer.
        let paused = Arc::new(AtomicU64::new(0)); // 1: asked to pause, 2: paused
        let consumer = {
            let p = p.clone();
            let paused = paused.clone();
            std::thread::spawn(move || {
                while p.is_running() || !p.ready.is_empty() {
                    if paused.load(Ordering::Acquire) != 0 {
                        paused.store(2, Ordering::Release);
                        std::thread::yield_now();
                        continue;
                    }
                    p.scheduled.store(false, Ordering::Release);
                    while let Some(d) = p.ready.pop() {
                        p.pool.recycle(d.slot);
                    }
                    std::thread::yield_now();
                }
            })
        };
        let mut pk = Packetizer::new(p.clone(), relay.thread(), MissPolicy::Drop);
        let sizes = [1usize, 479, 480, 481, 1447, 160, 7, 1024];
        let mut f32_buf = vec![0f32; 1447 * 2];
        let mut i16_buf = vec![0i16; 1447 * 2];
        let mut i32_buf = vec![0i32; 1447 * 2];
        let sine = Waveform::Sine {
            frequency: 440.0,
            amplitude: 0.5,
        };
        let (_, allocs) = counted(|| {
            let mut frame = 0u64;
            for round in 0..3000usize {
                let n = sizes[round % sizes.len()];
                // Let the consumer keep up, so this phase really fills packets (a spin, no
                // allocation); the miss path is exercised on purpose below.
                while p.pool.stats().free < 4 {
                    std::hint::spin_loop();
                }
                match round % 3 {
                    0 => {
                        generate(&mut f32_buf[..n * 2], 2, frame, 48_000, sine);
                        pk.push(&f32_buf[..n * 2], frame);
                    }
                    1 => {
                        generate(&mut i16_buf[..n * 2], 2, frame, 48_000, Waveform::Counter);
                        pk.push(&i16_buf[..n * 2], frame);
                    }
                    _ => {
                        generate(&mut i32_buf[..n * 2], 2, frame, 48_000, sine);
                        pk.push(&i32_buf[..n * 2], frame);
                    }
                }
                frame += n as u64;
            }
            // With the consumer paused the pool runs dry: the miss path must not allocate either.
            paused.store(1, Ordering::Release);
            while paused.load(Ordering::Acquire) != 2 {
                std::hint::spin_loop();
            }
            for _ in 0..20 {
                generate(&mut f32_buf[..960], 2, frame, 48_000, sine);
                pk.push(&f32_buf[..960], frame);
                frame += 480;
            }
            paused.store(0, Ordering::Release);
            pk.finish();
        });
        p.running.store(false, Ordering::Release);
        consumer.join().unwrap();
        relay.stop();
        let st = p.pool.stats();
        assert!(
            st.hits >= 100,
            "the run must really have produced packets: {st:?}"
        );
        assert!(st.misses >= 12, "the run must really have missed: {st:?}");
        assert_eq!(
            allocs, 0,
            "producer path allocated {allocs} times ({format:?}, {st:?})"
        );
    }
}

#[test]
fn the_device_conversion_chain_allocates_nothing_after_start_up() {
    // 48 kHz stereo i16 device -> 16 kHz mono f32 packets (map + resample), and an explicit map.
    let cases: [(usize, u32, usize, u32, ChannelMap); 3] = [
        (2, 48_000, 1, 16_000, ChannelMap::Auto),
        (2, 48_000, 2, 44_100, ChannelMap::Auto),
        (2, 48_000, 2, 48_000, ChannelMap::Explicit(vec![1, 0])),
    ];
    for (in_ch, in_rate, out_ch, out_rate, map) in cases {
        let layout = PacketLayout {
            sample_rate: out_rate,
            channels: out_ch as u16,
            format: OutputFormat::F32,
            frames_per_packet: 160,
        };
        let p = Arc::new(Pipeline::new(layout, 64));
        let mut chain = Chain::new(in_ch, in_rate, out_ch, out_rate, &map).unwrap();
        let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
        let block: Vec<i16> = (0..4096 * in_ch)
            .map(|i| (i as i16).wrapping_mul(31))
            .collect();
        let sizes = [1usize, 160, 7, 1024, 333, 4096];
        let (_, allocs) = counted(|| {
            for round in 0..400 {
                let n = sizes[round % sizes.len()];
                chain.process(&block[..n * in_ch], 0, &mut pk);
                while let Some(d) = p.ready.pop() {
                    p.pool.recycle(d.slot);
                }
            }
        });
        assert!(
            p.pool.stats().hits > 100,
            "the chain must really have produced packets"
        );
        assert_eq!(
            allocs, 0,
            "conversion chain allocated {allocs} times ({in_rate}->{out_rate}, {map:?})"
        );
    }
}
