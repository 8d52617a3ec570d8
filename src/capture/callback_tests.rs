//! The device data callback itself (timestamps, gap detection, a device's return, format
//! dispatch, conversion chain, packetizer) allocates nothing, fed by hand-made cpal buffers.

use super::*;
use crate::core::{ChannelMap, OutputFormat, PacketLayout, FLAG_DISCONTINUITY, FLAG_RECONNECT};
use crate::test_alloc::counted;
use cpal::{InputCallbackInfo, InputStreamTimestamp, StreamInstant};

fn info(ns: u64) -> InputCallbackInfo {
    info_with_delay(ns, 0)
}

/// A callback at `ns` whose host says its first frame was captured `delay` ns earlier.
fn info_with_delay(ns: u64, delay: u64) -> InputCallbackInfo {
    InputCallbackInfo::new(InputStreamTimestamp {
        callback: StreamInstant::from_nanos(ns),
        capture: StreamInstant::from_nanos(ns - delay),
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
    let link = Arc::new(Link::new(0));
    let mut cb = data_callback(p.clone(), std::thread::current(), link, chain, 48_000);
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

#[test]
fn the_first_audio_after_a_return_flags_one_packet_with_the_gap_and_allocates_nothing() {
    let layout = PacketLayout {
        sample_rate: 48_000,
        channels: 2,
        format: OutputFormat::S16,
        frames_per_packet: 480,
    };
    let p = Arc::new(Pipeline::new(layout, 64));
    p.running.store(true, Ordering::Release);
    let link = Arc::new(Link::new(0));
    let mut samples: Vec<i16> = vec![7; 2048];
    let mut feed = |cb: &mut dyn FnMut(&cpal::Data, &InputCallbackInfo), t: u64| {
        // SAFETY: `samples` outlives `data` and holds 1024 * 2 i16 values.
        let data = unsafe {
            cpal::Data::from_parts(samples.as_mut_ptr().cast(), 1024 * 2, SampleFormat::I16)
        };
        cb(&data, &info(t));
    };
    let stream = || {
        let chain = Chain::new(2, 48_000, 2, 48_000, &ChannelMap::Auto).unwrap();
        data_callback(
            p.clone(),
            std::thread::current(),
            link.clone(),
            chain,
            48_000,
        )
    };
    // The first stream: 10 callbacks of 1024 frames, fed at once (its audio runs 213 ms past
    // the pipeline's clock at its first call), then the device goes away.
    let mut first = stream();
    let start = p.now_ns();
    let mut t = 1_000_000_000u64;
    for _ in 0..10 {
        feed(&mut first, t);
        t += 1024 * 1_000_000_000 / 48_000;
    }
    let end = start + 10 * 1024 * 1_000_000_000 / 48_000;
    link.open_gap();
    drop(first);
    // It comes back 600 ms later, after 4 attempts. The new stream has its own clock (its
    // timestamps start at 0): the callback maps them onto the pipeline's at its first call.
    std::thread::sleep(std::time::Duration::from_millis(600));
    link.expect_return(4);
    let mut second = stream();
    let back = p.now_ns();
    let (_, allocs) = counted(|| {
        for i in 0..10 {
            feed(&mut second, i * 1024 * 1_000_000_000 / 48_000);
        }
    });
    assert_eq!(allocs, 0, "the return's callbacks allocated {allocs} times");
    let mut flagged = Vec::new();
    while let Some(d) = p.ready.pop() {
        if d.flags & FLAG_RECONNECT != 0 {
            assert_ne!(
                d.flags & FLAG_DISCONTINUITY,
                0,
                "a return is a discontinuity too"
            );
            flagged.push((d.seq, d.attempts, d.gap_frames));
        } else {
            assert_eq!((d.attempts, d.gap_frames), (0, 0));
        }
        p.pool.recycle(d.slot);
    }
    assert_eq!(flagged.len(), 1, "exactly one packet flagged: {flagged:?}");
    let (seq, attempts, gap) = flagged[0];
    // 10240 frames before the gap: 21 packets of 480 and a short 22nd (the first stream's).
    assert_eq!((seq, attempts), (22, 4));
    let gap_ns = gap * 1_000_000_000 / 48_000;
    let expected = back - end;
    assert!(
        gap_ns.abs_diff(expected) < 20_000_000,
        "gap {gap_ns} ns, expected {expected} ns"
    );
    assert_eq!(Counters::get(&p.counters.gap_frames), gap);
    assert_eq!(Counters::get(&p.counters.reconnects), 1);
    assert_eq!(
        Counters::get(&p.counters.dropped_frames),
        0,
        "a gap is not a drop"
    );
}

#[test]
fn a_block_is_never_dated_later_than_its_callback_allows() {
    // 1024 frames at 48 kHz: the block's first frame is at least 21.3 ms older than its
    // callback, whatever delay the host reports.
    const BLOCK_NS: u64 = 1024 * 1_000_000_000 / 48_000;
    let layout = PacketLayout {
        sample_rate: 48_000,
        channels: 2,
        format: OutputFormat::S16,
        frames_per_packet: 480,
    };
    let mut samples: Vec<i16> = vec![7; 2048];
    // (reported delay, expected delay): none or too short -> the block's length; longer -> kept.
    for (delay, expected) in [
        (0, BLOCK_NS),
        (5_000_000, BLOCK_NS),
        (30_000_000, 30_000_000),
    ] {
        let p = Arc::new(Pipeline::new(layout, 64));
        p.running.store(true, Ordering::Release);
        let chain = Chain::new(2, 48_000, 2, 48_000, &ChannelMap::Auto).unwrap();
        let link = Arc::new(Link::new(0));
        let mut cb = data_callback(p.clone(), std::thread::current(), link, chain, 48_000);
        // SAFETY: `samples` outlives `data` and holds 1024 * 2 i16 values.
        let data = unsafe {
            cpal::Data::from_parts(samples.as_mut_ptr().cast(), 1024 * 2, SampleFormat::I16)
        };
        // The pipeline's clock starts at its creation: let it pass the longest delay first.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let before = p.now_ns();
        cb(&data, &info_with_delay(5_000_000_000, delay));
        let after = p.now_ns();
        let first = p.ready.pop().expect("a packet");
        // The callback maps its own clock onto the pipeline's at its call (between before and
        // after), so the first frame's time lies in [before - expected, after - expected].
        assert!(
            first.capture_time_ns + expected <= after && first.capture_time_ns + expected >= before,
            "delay {delay}: first frame at {} ns, callback between {before} and {after}",
            first.capture_time_ns
        );
        p.pool.recycle(first.slot);
    }
}
