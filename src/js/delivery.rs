//! Turning ready descriptors into JS Buffers, and getting their slots back.
//!
//! Threads: JS thread only, except [`finalize_slot`], which Node runs on the JS thread of the
//! env that created the Buffer, possibly during env teardown after the capture object is gone.
//!
//! Ownership: an external Buffer's finalizer hint is an `Arc<Pipeline>` turned into a raw
//! pointer (`Arc::into_raw`, a refcount bump, no allocation). The finalizer takes it back, so the
//! pool memory under a Buffer lives exactly as long as the last Buffer or the capture.
//! `release()` detaches the Buffer and frees its slot at once; the finalizer that follows on a
//! later turn is then recorded as stale and frees nothing (see `Pool::finalize`).
//! If the runtime refuses external Buffers (`napi_no_external_buffers_allowed`, Electron 21+
//! with the V8 memory cage), the capture switches to copying for good and says so in stats.
//! Detaching (`release()`) is only ever done on an ArrayBuffer whose data pointer is exactly
//! one of this pool's slots, never on Node's shared small-Buffer pool.

use std::ffi::c_void;
use std::sync::Arc;

use napi::sys;

use super::raw;
use crate::core::{Counters, Descriptor, Pipeline, SlotState};

/// How one capture hands packets to JS.
pub struct Delivery {
    /// `useExternalBuffer` as asked.
    pub want_external: bool,
    /// False once the runtime refused an external Buffer (never set back).
    pub external_allowed: bool,
    /// Behave as if the runtime refused external Buffers (tests of the Electron path).
    pub simulate_refusal: bool,
    /// Copy instead of lending when lending would leave fewer than this many slots.
    pub low_water: usize,
}

impl Delivery {
    /// `'external'` or `'copy'`: what new packets get now.
    pub fn effective_mode(&self) -> &'static str {
        if self.want_external && self.external_allowed {
            "external"
        } else {
            "copy"
        }
    }

    /// True if lending one more slot now would leave the producer no more than the low-water
    /// mark (the next packet would be copied). Judged per packet, on what JS holds right now.
    pub fn at_low_water(&self, pipeline: &Pipeline) -> bool {
        self.want_external
            && self.external_allowed
            && pipeline.pool.capacity() - pipeline.pool.in_js() <= self.low_water
    }

    /// Makes a Buffer for `d`: external over the slot when allowed and the slots JS holds
    /// right now leave more than the low-water mark, else a copy (the slot returns to the pool
    /// at once). Judged per packet, so even one large batch (after a JS stall) never lends the
    /// producer's last slots to a consumer that keeps its Buffers.
    pub fn deliver(
        &mut self,
        env: sys::napi_env,
        pipeline: &Arc<Pipeline>,
        d: Descriptor,
    ) -> Result<sys::napi_value, sys::napi_status> {
        let c = &pipeline.counters;
        let len = pipeline.packet_bytes(d.frames);
        let ptr = pipeline.pool.slot_ptr(d.slot);
        if self.want_external && self.external_allowed {
            if !self.at_low_water(pipeline) {
                match self.lend(env, pipeline, d.slot, ptr, len) {
                    Ok(v) => {
                        Counters::add(&c.external, 1);
                        Counters::add(&c.packets, 1);
                        return Ok(v);
                    }
                    Err(raw::NO_EXTERNAL_BUFFERS) => self.external_allowed = false,
                    Err(status) => {
                        pipeline.pool.recycle(d.slot);
                        return Err(status);
                    }
                }
            } else {
                Counters::add(&c.low_water_copies, 1);
            }
        }
        // SAFETY: the slot is Ready: fully written by the producer, which no longer touches it,
        // and it stays out of the free list until the recycle below.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        let copied = raw::buffer_copy(env, bytes);
        pipeline.pool.recycle(d.slot);
        let v = copied?;
        Counters::add(&c.copied, 1);
        Counters::add(&c.packets, 1);
        Ok(v)
    }

    fn lend(
        &self,
        env: sys::napi_env,
        pipeline: &Arc<Pipeline>,
        slot: u32,
        ptr: *mut u8,
        len: usize,
    ) -> Result<sys::napi_value, sys::napi_status> {
        if self.simulate_refusal {
            return Err(raw::NO_EXTERNAL_BUFFERS);
        }
        let hint = Arc::into_raw(Arc::clone(pipeline)) as *mut c_void;
        // SAFETY: the slot is Ready, and is reused only after this Buffer is detached by
        // `release()` (no view can reach it then) or collected (`finalize_slot`); `hint` keeps
        // the pool memory alive until the finalizer has run.
        match unsafe { raw::external_buffer(env, ptr, len, finalize_slot, hint) } {
            Ok(v) => {
                let lent = pipeline.pool.lend_to_js(slot);
                debug_assert!(lent);
                Ok(v)
            }
            Err(status) => {
                // SAFETY: Node refused the Buffer and will never call the finalizer, so the
                // reference made by `Arc::into_raw` above is still ours to drop, once.
                drop(unsafe { Arc::from_raw(hint as *const Pipeline) });
                Err(status)
            }
        }
    }
}

/// Finalizer of every external Buffer: returns its slot to the pool (and, for a closed
/// capture whose last slot this was, frees the pool).
unsafe extern "C" fn finalize_slot(env: sys::napi_env, data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Arc::into_raw` made in `Delivery::lend` for this Buffer, and Node
    // calls a Buffer's finalizer exactly once, so the reference is taken back exactly once.
    let pipeline = unsafe { Arc::from_raw(hint as *const Pipeline) };
    if let Some(slot) = pipeline.pool.slot_at(data as *const u8) {
        pipeline.pool.finalize(slot);
        Counters::add(&pipeline.counters.finalized, 1);
        reclaimed(env, pipeline.reclaim());
    }
}

/// Tells V8 that `freed` bytes of pool memory are gone (the counterpart of the constructor's
/// report).
pub fn reclaimed(env: sys::napi_env, freed: Option<usize>) {
    if let Some(bytes) = freed {
        raw::adjust_external_memory(env, -(bytes as i64));
    }
}

/// `release(buf)`: detaches `value`'s ArrayBuffer if it is a live external Buffer over one of
/// `pipeline`'s slots and returns the slot to the pool at once (its finalizer, on a later turn,
/// is then a no-op). False for anything else (copies, other captures' Buffers, Node's pooled
/// Buffers, released ones).
pub fn release(env: sys::napi_env, pipeline: &Pipeline, value: sys::napi_value) -> bool {
    let Some((array_buffer, data, _len)) = raw::backing_array_buffer(env, value) else {
        return false;
    };
    if data.is_null() {
        return false; // already detached
    }
    let Some(slot) = pipeline.pool.slot_at(data) else {
        return false;
    };
    // Live and ours: lent to JS and not released yet. (JS thread only, like every other
    // transition out of InJs, so checking then acting cannot race.)
    if pipeline.pool.state(slot) != SlotState::InJs || !raw::detach(env, array_buffer) {
        return false;
    }
    // Detached: no view can reach the memory any more, so the slot is reusable at once.
    let recycled = pipeline.pool.recycle_released(slot);
    debug_assert!(recycled);
    Counters::add(&pipeline.counters.released, 1);
    reclaimed(env, pipeline.reclaim());
    true
}
