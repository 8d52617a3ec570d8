//! The IO proc of a macOS process-tap capture: Core Audio calls [`io_proc`] on the aggregate
//! device's IO thread (the audio thread of the capture) with the tap's buffers as the device's
//! input; it reads the first two channels (a mono buffer is duplicated) as f32, interleaves them
//! into a preallocated scratch buffer and hands them to the [`TapRing`] (the
//! mixer's ring, at the tap's rate).
//!
//! Real-time safe: no allocation, no lock, no syscall, no panic (every index is checked).
//!
//! Memory: [`IoState`] is boxed by `coreaudio_tap.rs` and its pointer given to Core Audio as the
//! IO proc's client data; it is freed there only after `AudioDeviceStop` and
//! `AudioDeviceDestroyIOProcID` returned (after which Core Audio calls the proc no more).
//! The proc is its only user meanwhile (one IO thread per device, never reentrant).

use std::ffi::c_void;
use std::ptr::NonNull;

use objc2_core_audio::AudioObjectID;
use objc2_core_audio_types::{AudioBuffer, AudioBufferList, AudioTimeStamp};

use super::coreaudio_tap_ring::{TapRing, CHANNELS};

/// Frames interleaved per step (bounds the scratch buffer; any IO buffer size works).
const STEP: usize = 1024;

/// What the IO proc owns.
pub struct IoState {
    convert: TapRing,
    /// Interleaved stereo, `STEP` frames.
    scratch: Vec<f32>,
}

impl IoState {
    /// Allocates the scratch buffer (on the JS thread).
    pub fn new(convert: TapRing) -> Self {
        Self {
            convert,
            scratch: vec![0.0; STEP * CHANNELS],
        }
    }
}

/// One channel of the input: its first sample, the distance between samples, its frames.
#[derive(Clone, Copy)]
struct Lane {
    data: *const f32,
    stride: usize,
    frames: usize,
}

/// The first two channels of `buffers` (the second is the first again for a mono tap).
fn lanes(buffers: &[AudioBuffer]) -> Option<[Lane; 2]> {
    let mut found: [Option<Lane>; 2] = [None, None];
    let mut n = 0;
    'outer: for b in buffers {
        let ch = b.mNumberChannels as usize;
        if ch == 0 || b.mData.is_null() {
            continue;
        }
        let frames = b.mDataByteSize as usize / size_of::<f32>() / ch;
        for c in 0..ch {
            let Some(slot) = found.get_mut(n) else {
                break 'outer;
            };
            // `wrapping_add`: no pointer is formed outside the buffer (c < ch).
            *slot = Some(Lane {
                data: b.mData.cast::<f32>().cast_const().wrapping_add(c),
                stride: ch,
                frames,
            });
            n += 1;
        }
    }
    let left = found[0]?;
    Some([left, found[1].unwrap_or(left)])
}

/// Core Audio's IO proc for the tap's aggregate device (see the module docs).
pub unsafe extern "C-unwind" fn io_proc(
    _device: AudioObjectID,
    _now: NonNull<AudioTimeStamp>,
    input: NonNull<AudioBufferList>,
    _input_time: NonNull<AudioTimeStamp>,
    _output: NonNull<AudioBufferList>,
    _output_time: NonNull<AudioTimeStamp>,
    client: *mut c_void,
) -> i32 {
    let Some(mut state) = NonNull::new(client.cast::<IoState>()) else {
        return 0;
    };
    // SAFETY: `client` is the boxed IoState `coreaudio_tap.rs` registered with this proc; it
    // outlives the proc's registration and nothing else touches it meanwhile (module docs).
    let state = unsafe { state.as_mut() };
    let list = input.as_ptr();
    // SAFETY: Core Audio passes a valid AudioBufferList whose `mNumberBuffers` buffers follow
    // one another from `mBuffers` (the C flexible array member), valid for this call.
    let buffers = unsafe {
        let n = (*list).mNumberBuffers as usize;
        std::slice::from_raw_parts(
            std::ptr::addr_of!((*list).mBuffers).cast::<AudioBuffer>(),
            n,
        )
    };
    let Some([l, r]) = lanes(buffers) else {
        return 0;
    };
    let frames = l.frames.min(r.frames);
    let mut done = 0;
    while done < frames {
        let n = (frames - done).min(STEP);
        for (i, out) in state.scratch.chunks_exact_mut(CHANNELS).take(n).enumerate() {
            let f = done + i;
            // SAFETY: f < frames, so f * stride (+ the lane's channel offset, below stride) lies
            // inside the lane's buffer of `frames * stride` f32 (read unaligned: no alignment is
            // promised in writing).
            let (a, b) = unsafe {
                (
                    l.data.add(f * l.stride).read_unaligned(),
                    r.data.add(f * r.stride).read_unaligned(),
                )
            };
            if let [x, y] = out {
                *x = a;
                *y = b;
            }
        }
        if let Some(block) = state.scratch.get(..n * CHANNELS) {
            state.convert.push(block);
        }
        done += n;
    }
    0
}
