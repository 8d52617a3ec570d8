//! A device stream's data callback: capture timestamps onto the pipeline's clock, gap and loss
//! detection, the return of a lost device (`reconnect`), format dispatch, the conversion chain
//! and the packetizer.
//!
//! Threads: cpal's audio thread. Real-time safe: no allocation, no lock, no napi call, no panic;
//! its only syscalls are the vDSO clock read and the packetizer's one relay wake per completed
//! packet (`callback_tests.rs` counts the allocations).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;

use cpal::SampleFormat;

use super::link::Link;
use super::loss::LossDetector;
use crate::core::{Chain, Counters, MissPolicy, Packetizer, Pipeline};

/// A capture-time jump this far past the expected time counts as a gap (a discontinuity).
const GAP_NS: u64 = 50_000_000;

pub fn data_callback(
    pipeline: Arc<Pipeline>,
    relay: Thread,
    link: Arc<Link>,
    mut chain: Chain,
    rate: u32,
) -> impl FnMut(&cpal::Data, &cpal::InputCallbackInfo) + Send + 'static {
    let pk = Packetizer::new(pipeline.clone(), relay, MissPolicy::Drop);
    let generation = link.callback_made();
    let mut st = CallbackState {
        pk,
        loss: LossDetector::new(rate),
        pipeline: pipeline.clone(),
        link: link.clone(),
    };
    let mut offset: Option<i128> = None;
    let mut expected: Option<u64> = None;
    move |data, info| {
        if !pipeline.is_running() || link.is_stopped() || link.is_retired(generation) {
            return;
        }
        let pk = &mut st.pk;
        if pipeline.gap_pending.swap(false, Ordering::AcqRel) {
            pk.mark_gap();
        }
        let now = pipeline.now_ns();
        pipeline.last_data_ns.store(now, Ordering::Release);
        let ts = info.timestamp();
        let off = *offset
            .get_or_insert_with(|| pipeline.now_ns() as i128 - ts.callback.as_nanos() as i128);
        let frames = (data.len() / chain.input_channels()) as u64;
        // A block's first frame was captured at least the block's length before the callback
        // that hands it over. A host whose delay report is short or missing (the ALSA `pulse`
        // plugin on PipeWire reports 0) would otherwise date the block in the future.
        let block_ns = (frames * 1_000_000_000 / rate as u64) as i128;
        let capture =
            (ts.capture.as_nanos() as i128).min(ts.callback.as_nanos() as i128 - block_ns);
        let t = (capture + off).max(0) as u64;
        if let Some((attempts, gap)) = link.returned(&pipeline, t) {
            pk.mark_reconnect(attempts, gap);
        }
        if let Some(lost) = st.loss.delivered(frames, now) {
            count_lost(&pipeline, lost, rate);
            pk.mark_gap();
        }
        if let Some(e) = expected {
            if t > e + GAP_NS {
                pk.mark_gap();
            }
        }
        let end = t + frames * 1_000_000_000 / rate as u64;
        expected = Some(end);
        link.audio(end);
        use SampleFormat as F;
        match data.sample_format() {
            F::I8 => push(&mut chain, data.as_slice::<i8>(), t, pk),
            F::I16 => push(&mut chain, data.as_slice::<i16>(), t, pk),
            F::I32 => push(&mut chain, data.as_slice::<i32>(), t, pk),
            F::I64 => push(&mut chain, data.as_slice::<i64>(), t, pk),
            F::U8 => push(&mut chain, data.as_slice::<u8>(), t, pk),
            F::U16 => push(&mut chain, data.as_slice::<u16>(), t, pk),
            F::U32 => push(&mut chain, data.as_slice::<u32>(), t, pk),
            F::U64 => push(&mut chain, data.as_slice::<u64>(), t, pk),
            F::F32 => push(&mut chain, data.as_slice::<f32>(), t, pk),
            F::F64 => push(&mut chain, data.as_slice::<f64>(), t, pk),
            _ => {}
        }
    }
}

/// The data callback's state. Dropped with the stream (stop, or a loss), or later by the host:
/// counts a loss still open, delivers the partial packet, then tells the link it is gone.
struct CallbackState {
    pk: Packetizer,
    loss: LossDetector,
    pipeline: Arc<Pipeline>,
    link: Arc<Link>,
}

impl Drop for CallbackState {
    fn drop(&mut self) {
        // A stream dropped because its device went away: the frames missing from its last
        // audio on are the reconnect gap (counted once, by `Link`), not a host loss.
        let finished = self.loss.finish(self.pipeline.now_ns());
        if let (Some(lost), false) = (finished, self.link.is_away()) {
            count_lost(&self.pipeline, lost, self.loss.rate());
            self.pk.mark_gap();
        }
        // The partial packet first, then the reconnect thread may announce the loss after it.
        self.pk.finish();
        self.link.callback_gone();
    }
}

/// Counts `lost` device frames (at `rate`) as dropped output frames (the caller flags the gap).
fn count_lost(p: &Pipeline, lost: u64, rate: u32) {
    let out = (lost as u128 * p.layout.sample_rate as u128 / rate.max(1) as u128) as u64;
    Counters::add(&p.counters.dropped_frames, out);
}

#[inline]
fn push<S: crate::core::Sample>(
    chain: &mut Chain,
    samples: Option<&[S]>,
    t: u64,
    pk: &mut Packetizer,
) {
    if let Some(s) = samples {
        chain.process(s, t, pk);
    }
}

#[cfg(test)]
#[path = "callback_tests.rs"]
mod tests;
