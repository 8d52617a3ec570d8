//! The mixer: streams summed, each primed before it is first heard, silence for a stream that
//! runs dry and for no stream at all, the oldest audio dropped past the latency bound, ended
//! streams handed back, and no allocation while mixing.

use super::mix::{Mixer, MixerInputs};
use crate::test_alloc::counted;

fn ring(cap: usize) -> (rtrb::Producer<f32>, rtrb::Consumer<f32>) {
    rtrb::RingBuffer::new(cap)
}

fn push(p: &mut rtrb::Producer<f32>, v: f32, n: usize) {
    for _ in 0..n {
        p.push(v).unwrap();
    }
}

#[test]
fn two_streams_are_summed_once_each_holds_its_prefill() {
    let q = MixerInputs::default();
    let mut m = Mixer::new(1, 4, 100);
    let (mut a, ca) = ring(64);
    let (mut b, cb) = ring(64);
    q.add(ca).unwrap();
    q.add(cb).unwrap();
    push(&mut a, 0.25, 8);
    push(&mut b, 0.5, 2); // under its prefill: not heard yet
    let mut out = [9.0f32; 4];
    let r = m.mix(&q, &mut out);
    assert_eq!(out, [0.25; 4]);
    assert_eq!((r.streams, r.active, r.underrun_frames), (2, 1, 0));
    push(&mut b, 0.5, 6);
    let r = m.mix(&q, &mut out);
    assert_eq!(out, [0.75; 4]);
    assert_eq!((r.active, r.underrun_frames), (2, 0));
}

#[test]
fn no_stream_is_silence_and_a_stream_running_dry_is_counted() {
    let q = MixerInputs::default();
    let mut m = Mixer::new(2, 2, 100);
    let mut out = [1.0f32; 8];
    assert_eq!(m.mix(&q, &mut out).streams, 0);
    assert_eq!(out, [0.0; 8], "no stream: silence");
    let (mut a, ca) = ring(64);
    q.add(ca).unwrap();
    push(&mut a, 0.5, 2 * 2); // 2 frames of 2 channels
    let r = m.mix(&q, &mut out);
    assert_eq!(out, [0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(r.underrun_frames, 2);
}

#[test]
fn audio_past_the_latency_bound_is_dropped_down_to_the_prefill() {
    let q = MixerInputs::default();
    let mut m = Mixer::new(1, 4, 10);
    let (mut a, ca) = ring(64);
    q.add(ca).unwrap();
    push(&mut a, 0.1, 30);
    let mut out = [0.0f32; 4];
    let r = m.mix(&q, &mut out);
    assert_eq!(
        r.dropped_frames,
        30 - 4 - 4,
        "26 left over 10: dropped down to 4"
    );
    let r = m.mix(&q, &mut out);
    assert_eq!((r.dropped_frames, r.underrun_frames), (0, 0));
    assert_eq!(out, [0.1; 4]);
}

#[test]
fn an_ended_stream_is_played_out_then_handed_back() {
    let q = MixerInputs::default();
    let mut m = Mixer::new(1, 100, 200);
    let (mut a, ca) = ring(64);
    q.add(ca).unwrap();
    push(&mut a, 0.3, 6);
    drop(a); // the stream ended before its prefill: what it has is played
    let mut out = [0.0f32; 4];
    let r = m.mix(&q, &mut out);
    assert_eq!((out, r.underrun_frames, r.ended), ([0.3; 4], 0, 0));
    let r = m.mix(&q, &mut out);
    assert_eq!(out, [0.3, 0.3, 0.0, 0.0]);
    assert_eq!(
        (r.underrun_frames, r.ended),
        (0, 0),
        "an ended stream is no underrun"
    );
    let r = m.mix(&q, &mut out);
    assert_eq!((r.ended, r.streams), (1, 0));
    assert!(
        q.take_done().is_some(),
        "its ring comes back to be freed elsewhere"
    );
}

#[test]
fn mixing_allocates_nothing() {
    let q = MixerInputs::default();
    let mut m = Mixer::new(2, 4, 1000);
    let mut producers = Vec::new();
    for _ in 0..3 {
        let (p, c) = ring(4096);
        q.add(c).unwrap();
        producers.push(p);
    }
    let mut out = vec![0.0f32; 960];
    m.mix(&q, &mut out); // the first call takes the inputs in (into reserved capacity)
    let (_, n) = counted(|| {
        for _ in 0..50 {
            for p in &mut producers {
                push(p, 0.01, 960);
            }
            std::hint::black_box(m.mix(&q, &mut out));
        }
    });
    assert_eq!(n, 0, "allocations while mixing");
}
