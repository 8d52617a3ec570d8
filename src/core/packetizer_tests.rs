//! Packetizer tests: awkward block sizes checked sample by sample, misses, the final short packet.

use super::*;
use crate::core::convert::OutputFormat;
use crate::core::pipeline::PacketLayout;

const CH: u16 = 2;

fn pipeline(fpp: u32, pool: usize, format: OutputFormat) -> Arc<Pipeline> {
    let layout = PacketLayout {
        sample_rate: 48_000,
        channels: CH,
        format,
        frames_per_packet: fpp,
    };
    Arc::new(Pipeline::new(layout, pool))
}

/// Interleaved counter frames: every sample of frame `i` is `i % 32768`.
fn counter_block(start: u64, frames: usize) -> Vec<i16> {
    (0..frames)
        .flat_map(|i| [((start + i as u64) % 32768) as i16; CH as usize])
        .collect()
}

/// Drains the ready queue, returning (descriptor, samples) and freeing each slot.
fn drain(p: &Pipeline) -> Vec<(Descriptor, Vec<i16>)> {
    let mut out = Vec::new();
    while let Some(d) = p.ready.pop() {
        let bytes = p.packet_bytes(d.frames);
        // SAFETY: the slot is Ready; the producer no longer writes it.
        let raw = unsafe { std::slice::from_raw_parts(p.pool.slot_ptr(d.slot), bytes) };
        let samples = raw
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert!(p.pool.recycle(d.slot).is_some());
        out.push((d, samples));
    }
    out
}

/// Pushes `sizes` (cycled) until `total` frames went in, draining as it goes, and checks that
/// the packets hold every frame in order, with continuous `seq`.
fn run_sizes(fpp: u32, sizes: &[usize], total: usize) {
    let p = pipeline(fpp, 16, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    let mut sent = 0usize;
    let mut got: Vec<(Descriptor, Vec<i16>)> = Vec::new();
    for &n in sizes.iter().cycle() {
        if sent >= total {
            break;
        }
        let n = n.min(total - sent);
        assert_eq!(pk.push(&counter_block(sent as u64, n), 0), Pushed::All);
        sent += n;
        got.extend(drain(&p));
    }
    pk.finish();
    got.extend(drain(&p));
    let mut frame = 0u64;
    for (i, (d, s)) in got.iter().enumerate() {
        assert_eq!(d.seq, i as u64, "seq must be continuous");
        assert_eq!(d.flags, 0);
        let last = i == got.len() - 1;
        assert!(
            d.frames == fpp || (last && d.frames < fpp),
            "packet {i} has {} frames",
            d.frames
        );
        for f in s.chunks_exact(CH as usize) {
            assert!(
                f.iter().all(|&v| v as u64 == frame % 32768),
                "frame {frame} corrupted: {f:?}"
            );
            frame += 1;
        }
    }
    assert_eq!(
        frame as usize, total,
        "every frame must arrive exactly once"
    );
    assert_eq!(Counters::get(&p.counters.frames), total as u64);
    assert_eq!(p.pool.stats().misses, 0);
}

#[test]
fn awkward_block_sizes_keep_every_sample_in_order() {
    let n = 480usize;
    for size in [1, n - 1, n, n + 1, 3 * n + 7] {
        run_sizes(n as u32, &[size], 10 * n + 123);
    }
}

#[test]
fn irregular_block_sequences_keep_every_sample_in_order() {
    run_sizes(480, &[1, 160, 7, 512, 33, 1024, 479, 481, 2], 48_000);
    run_sizes(1024, &[4096, 1, 1023, 3000], 20_000);
    run_sizes(1, &[3, 1, 2], 50);
}

#[test]
fn a_miss_drops_one_packet_counts_it_and_flags_the_next_packet() {
    let fpp = 10u32;
    let p = pipeline(fpp, 2, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    // Three packets' worth with two slots and no draining: the third finds no slot.
    pk.push(&counter_block(0, 30), 0);
    let st = p.pool.stats();
    assert_eq!((st.hits, st.misses), (2, 1));
    assert_eq!(Counters::get(&p.counters.dropped_frames), 10);
    assert_eq!(Counters::get(&p.counters.discontinuities), 1);
    let first = drain(&p);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(d, _)| d.flags == 0));
    pk.push(&counter_block(30, 10), 0);
    let next = drain(&p);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].0.flags, FLAG_DISCONTINUITY);
    assert_eq!(
        next[0].1[0], 30,
        "the packet after the gap starts on the next boundary"
    );
    assert_eq!(
        next[0].0.seq, 2,
        "seq counts delivered packets, so it stays continuous"
    );
    assert_eq!(Counters::get(&p.counters.frames), 30);
}

#[test]
fn a_gap_across_several_misses_is_one_discontinuity() {
    let p = pipeline(4, 1, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    pk.push(&counter_block(0, 4 * 5), 0);
    assert_eq!(p.pool.stats().misses, 4);
    assert_eq!(Counters::get(&p.counters.dropped_frames), 16);
    assert_eq!(Counters::get(&p.counters.discontinuities), 1);
}

#[test]
fn finish_delivers_a_partial_packet_and_recycles_an_empty_slot() {
    let p = pipeline(10, 2, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    pk.push(&counter_block(0, 13), 0);
    pk.finish();
    let got = drain(&p);
    assert_eq!(
        got.iter().map(|(d, _)| d.frames).collect::<Vec<_>>(),
        vec![10, 3]
    );
    assert_eq!(p.pool.stats().outstanding, 0);
    pk.finish();
    assert!(p.ready.is_empty());
}

#[test]
fn capture_time_is_the_time_of_each_packets_first_frame() {
    let p = pipeline(480, 8, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    pk.push(&counter_block(0, 1200), 1_000_000);
    pk.finish();
    let t: Vec<u64> = drain(&p).iter().map(|(d, _)| d.capture_time_ns).collect();
    assert_eq!(t, vec![1_000_000, 11_000_000, 21_000_000]);
}

#[test]
fn f32_output_carries_the_converted_samples() {
    let p = pipeline(8, 2, OutputFormat::F32);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Drop);
    let block: Vec<f32> = (0..16).map(|i| i as f32 / 32.0).collect();
    pk.push(&block, 0);
    let d = p.ready.pop().unwrap();
    // SAFETY: the slot is Ready.
    let raw = unsafe { std::slice::from_raw_parts(p.pool.slot_ptr(d.slot), 64) };
    let got: Vec<f32> = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(got, block);
}

#[test]
fn wait_policy_blocks_until_a_slot_returns_and_never_misses() {
    let p = pipeline(4, 1, OutputFormat::S16);
    p.running.store(true, std::sync::atomic::Ordering::Release);
    let consumer = {
        let p = p.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while n < 10 {
                n += drain(&p).len();
                std::thread::yield_now();
            }
        })
    };
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Wait);
    assert_eq!(pk.push(&counter_block(0, 40), 0), Pushed::All);
    consumer.join().unwrap();
    assert_eq!(p.pool.stats().misses, 0);
    assert_eq!(Counters::get(&p.counters.dropped_frames), 0);
}

#[test]
fn wait_policy_returns_when_the_pipeline_stops() {
    let p = pipeline(4, 1, OutputFormat::S16);
    let mut pk = Packetizer::new(p.clone(), std::thread::current(), MissPolicy::Wait);
    // Not running: the second packet cannot get a slot and the push gives up.
    assert_eq!(pk.push(&counter_block(0, 8), 0), Pushed::Stopped);
}
