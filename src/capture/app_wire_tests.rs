//! A stream's bytes into its ring (`Stream::write`): frames split across messages, a full ring.

use super::{Stream, MAX_FRAME};

fn stream(channels: usize, ring_samples: usize) -> (Stream, rtrb::Consumer<f32>) {
    let (ring, c) = rtrb::RingBuffer::new(ring_samples);
    let s = Stream {
        channel: 1,
        ring,
        frame: 4 * channels,
        carry: [0; MAX_FRAME],
        held: 0,
    };
    (s, c)
}

fn bytes(samples: &[f32]) -> Vec<u8> {
    samples.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn drain(c: &mut rtrb::Consumer<f32>) -> Vec<f32> {
    let n = c.slots();
    c.read_chunk(n).unwrap().into_iter().collect()
}

#[test]
fn frames_split_anywhere_across_messages_arrive_whole_and_in_order() {
    let samples: Vec<f32> = (0..64).map(|i| i as f32).collect();
    let all = bytes(&samples);
    for cut in [1usize, 3, 4, 5, 7, 8, 9, 13] {
        let (mut s, mut c) = stream(2, 1024);
        for piece in all.chunks(cut) {
            s.write(piece);
            assert_eq!(c.slots() % 2, 0, "only whole frames reach the ring (cut {cut})");
        }
        assert_eq!(drain(&mut c), samples, "cut {cut}");
    }
}

#[test]
fn a_full_ring_drops_whole_frames_so_the_channels_never_swap() {
    // Room for 5 samples: 2 stereo frames fit, the third is dropped whole.
    let (mut s, mut c) = stream(2, 5);
    s.write(&bytes(&[1.0, -1.0, 2.0, -2.0, 3.0, -3.0]));
    assert_eq!(drain(&mut c), vec![1.0, -1.0, 2.0, -2.0]);
    // Then a frame split across two messages: left stays left.
    let b = bytes(&[4.0, -4.0]);
    s.write(&b[..3]);
    s.write(&b[3..]);
    assert_eq!(drain(&mut c), vec![4.0, -4.0]);
}

#[test]
fn mono_frames_are_single_samples() {
    let (mut s, mut c) = stream(1, 3);
    s.write(&bytes(&[0.5, 0.25, 0.125, 0.0625]));
    assert_eq!(drain(&mut c), vec![0.5, 0.25, 0.125]);
}
