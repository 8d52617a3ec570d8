//! The device data callback itself (timestamps, gap detection, format dispatch, conversion
//! chain, packetizer) allocates nothing, fed by hand-made cpal buffers.

use super::*;
use crate::core::PacketLayout;
use crate::test_alloc::counted;
use cpal::{InputCallbackInfo, InputStreamTimestamp, StreamInstant};

fn info(ns: u64) -> InputCallbackInfo {
    let t = StreamInstant::from_nanos(ns);
    InputCallbackInfo::new(InputStreamTimestamp {
        callback: t,
        capture: t,
    })
}

#[test]
fn the_device_callback_allocates_nothing_and_flags_a_timestamp_gap() {
    // A 48 kHz stereo i16 device feeding 16 kHz mono f32 packets: map + resample.
    let layout = PacketLayout {
        sample_rate: 16_000,
        channels: 1,
        format: OutputFormat::F32,
        frames_per_packet: 160,
    };
    let p = Arc::new(Pipeline::new(layout, 64));
    p.running.store(true, Ordering::Release);
    let chain = Chain::new(2, 48_000, 1, 16_000, &ChannelMap::Auto).unwrap();
    let mut cb = data_callback(p.clone(), std::thread::current(), chain, 48_000);
    let mut samples: Vec<i16> = (0..2048).map(|i| (i * 13) as i16).collect();
    let sizes = [1usize, 160, 7, 1024, 333];
    let mut t = 1_000_000_000u64;
    let (_, allocs) = counted(|| {
        for round in 0..500 {
            let frames = sizes[round % sizes.len()];
            // SAFETY: `samples` outlives `data` and holds at least frames * 2 i16 values.
            let data = unsafe {
                cpal::Data::from_parts(samples.as_mut_ptr().cast(), frames * 2, SampleFormat::I16)
            };
            if round == 400 {
                t += 200_000_000; // the host skipped 200 ms: a gap
            }
            cb(&data, &info(t));
            t += frames as u64 * 1_000_000_000 / 48_000;
            while let Some(d) = p.ready.pop() {
                p.pool.recycle(d.slot);
            }
        }
    });
    assert!(
        p.pool.stats().hits > 100,
        "the callback must really have produced packets"
    );
    assert_eq!(allocs, 0, "the device callback allocated {allocs} times");
    assert_eq!(
        Counters::get(&p.counters.discontinuities),
        1,
        "the 200 ms jump is one gap"
    );
}
