//! The pacing thread of an application capture, the same on every platform: every 10 ms it
//! mixes what the application's streams delivered into their lock-free rings (`core/mix.rs`)
//! into the chain and packetizer, dated by the clock less the jitter buffer. A period with no
//! stream is silence at the clock's pace, counted in [`AppState::idle_frames`].
//!
//! Threads: `pcmtap-app` (the audio thread of an application source); allocates and locks
//! nothing after its start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use super::app_config::AppState;
use crate::core::{Chain, MissPolicy, Mixer, MixerInputs, Packetizer, Pipeline};
use crate::error::{Error, ErrorKind};

/// One mixing step: 10 ms.
pub const TICK_DIV: u32 = 100;
/// A new stream's jitter buffer, and the most a stream may hold before its oldest audio goes.
pub const PREFILL_MS: u32 = 30;
pub const MAX_FILL_MS: u32 = 150;

fn frames_ns(frames: u64, rate: u32) -> u64 {
    (frames as u128 * 1_000_000_000 / rate as u128) as u64
}

/// Starts the pacing thread (`pcmtap-app`): [`mix_loop`] on `chain`, until `stop` is set or the
/// pipeline stops running.
///
/// # Errors
/// [`ErrorKind::ThreadSpawn`] when the OS refuses the thread.
pub fn spawn_pacer(
    pipeline: &Arc<Pipeline>,
    relay: &Thread,
    inputs: &Arc<MixerInputs>,
    stop: &Arc<AtomicBool>,
    state: &Arc<AppState>,
    chain: Chain,
) -> Result<JoinHandle<()>, Error> {
    let (p, r, i, s, st) = (
        pipeline.clone(),
        relay.clone(),
        inputs.clone(),
        stop.clone(),
        state.clone(),
    );
    std::thread::Builder::new()
        .name("pcmtap-app".into())
        .spawn(move || mix_loop(p, r, i, s, st, chain))
        .map_err(|e| Error::new(ErrorKind::ThreadSpawn, e.to_string()))
}

/// The mixing thread: one block per tick, dated by the clock less the jitter buffer. The rings
/// hold interleaved f32 at `chain`'s input rate and channels (the source's: the capture's own
/// on Linux and Windows, where the server converts; the tap's on macOS), and `chain` converts
/// them to the capture's format, resampling where the rates differ.
fn mix_loop(
    pipeline: Arc<Pipeline>,
    relay: Thread,
    inputs: Arc<MixerInputs>,
    stop: Arc<AtomicBool>,
    state: Arc<AppState>,
    mut chain: Chain,
) {
    let ch = chain.input_channels();
    let rate = chain.input_rate();
    let block = (rate / TICK_DIV) as usize;
    let mut mixer = Mixer::new(
        ch,
        (rate * PREFILL_MS / 1000) as usize,
        (rate * MAX_FILL_MS / 1000) as usize,
    );
    let mut buf = vec![0f32; block * ch];
    let mut pk = Packetizer::new(pipeline.clone(), relay, MissPolicy::Drop);
    let start = Instant::now();
    let delay = frames_ns((rate * PREFILL_MS / 1000) as u64, rate);
    let mut done: u64 = 0;
    while pipeline.is_running() && !stop.load(Ordering::Acquire) {
        let due = start + Duration::from_nanos(frames_ns(done + block as u64, rate));
        let now = Instant::now();
        if now < due {
            std::thread::park_timeout(due - now);
            continue;
        }
        let r = mixer.mix(&inputs, &mut buf);
        state.streams.store(r.streams as u32, Ordering::Relaxed);
        state
            .underrun_frames
            .fetch_add(r.underrun_frames, Ordering::Relaxed);
        if r.streams == 0 {
            state.idle_frames.fetch_add(block as u64, Ordering::Relaxed);
        }
        let t = pipeline
            .ns_since_epoch(start + Duration::from_nanos(frames_ns(done, rate)))
            .saturating_sub(delay);
        chain.process(&buf[..], t, &mut pk);
        pipeline
            .last_data_ns
            .store(pipeline.now_ns(), Ordering::Release);
        done += block as u64;
    }
    pk.finish();
}
