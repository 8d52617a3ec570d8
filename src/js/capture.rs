//! `NativeCapture`, the class `lib/capture.js` wraps: owns one session and its delivery.
//!
//! Threads: every method runs on the JS thread. `start()` hands the relay thread a threadsafe
//! function; the relay calls it (at most once per drain) and it runs `onReady` on the JS thread,
//! which calls `drain()`. The threadsafe function lives only while the capture runs, so a
//! running capture keeps the event loop alive and a stopped one does not.
//!
//! Memory: the pool's bytes are reported to V8 (`napi_adjust_external_memory`) when it is
//! allocated and given back when it is freed, so captures dropped without `close()` put
//! pressure on the GC like any other native memory. `close()` (or the object's finalizer)
//! frees the pool at once if no Buffer points into it, else the last Buffer's finalizer or
//! `release()` does (see `delivery.rs`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use napi::bindgen_prelude::{Function, ObjectFinalize, Unknown};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::{Env, JsValue, Status};
use napi_derive::napi;

use super::delivery::{self, Delivery};
use super::errors::{closed, invalid_arg, to_js};
use super::options::{parse, NativeOptions};
use super::raw;
use super::stats::{snapshot, NativeStats};
use super::warnings;
use crate::core::{Counters, Notified, Pipeline};
use crate::session::Session;

/// Environment variable that makes delivery behave as if the runtime refused external Buffers
/// (what Electron does), so the copy fallback can be tested in plain Node.
pub const SIMULATE_NO_EXTERNAL_ENV: &str = "PCMTAP_SIMULATE_NO_EXTERNAL_BUFFERS";

/// Doubles per packet in the `meta` array `drain()` fills: seq, frames, captureTime, flags,
/// reconnect attempts, gap frames (the last two 0 unless the packet is a device's return).
pub const META_PER_PACKET: usize = 6;

/// A device loss a `reconnect` capture survived.
#[napi(object)]
pub struct NativeDisconnect {
    /// The loss comes right before the packet with this seq (after every packet before it).
    pub seq: f64,
    /// `[CODE] message`, as `takeError()`.
    pub error: String,
}

/// A device as a `'devicechange'` names it.
#[napi(object)]
pub struct NativeDeviceRef {
    pub id: String,
    pub name: String,
}

/// A default capture's switch to the new default device.
#[napi(object)]
pub struct NativeDeviceChange {
    /// The first packet of the new device has this seq or a later one.
    pub seq: f64,
    pub from: NativeDeviceRef,
    pub to: NativeDeviceRef,
}

#[napi(custom_finalize)]
pub struct NativeCapture {
    session: Option<Session>,
    pipeline: Arc<Pipeline>,
    delivery: Delivery,
}

#[napi]
impl NativeCapture {
    #[napi(constructor)]
    pub fn new(env: Env, options: NativeOptions) -> napi::Result<Self> {
        let parsed = parse(&options).map_err(invalid_arg)?;
        let session =
            Session::new(parsed.layout, parsed.pool_size, parsed.source).map_err(to_js)?;
        let pipeline = session.pipeline().clone();
        raw::adjust_external_memory(env.raw(), pipeline.pool.bytes() as i64);
        let simulate_refusal = std::env::var_os(SIMULATE_NO_EXTERNAL_ENV).is_some_and(|v| v == "1");
        let delivery = Delivery {
            want_external: options.use_external_buffer,
            external_allowed: true,
            simulate_refusal,
            low_water: options.low_water_mark as usize,
        };
        Ok(Self {
            session: Some(session),
            pipeline,
            delivery,
        })
    }

    /// Starts producing; `on_ready` is called (with no arguments) whenever packets wait.
    /// False if it was already running.
    #[napi]
    pub fn start(&mut self, env: Env, on_ready: Function<(), ()>) -> napi::Result<bool> {
        let session = self.session.as_mut().ok_or_else(closed)?;
        if session.is_running() {
            return Ok(false);
        }
        let tsfn = on_ready.build_threadsafe_function::<()>().build()?;
        let notify = move || match tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking) {
            Status::Ok => Notified::Queued,
            Status::Closing => Notified::Closed,
            _ => Notified::Failed,
        };
        let started = session.start(notify);
        warnings::pulse_config_once(&env);
        started.map_err(to_js)
    }

    /// Stops producing. Packets already queued stay queued for `drain()`. False if not running.
    #[napi]
    pub fn stop(&mut self) -> bool {
        self.session.as_mut().is_some_and(|s| s.stop())
    }

    /// Stops and frees the session; frees the pool now if no Buffer points into it (else the
    /// last `release()` or finalizer does). Buffers already in JS stay valid. Idempotent.
    #[napi]
    pub fn close(&mut self, env: &Env) {
        self.shut(env.raw());
    }

    /// Slot memory held by every pool of this process right now: `[bytes, pools]`.
    #[napi]
    pub fn pool_memory() -> Vec<f64> {
        let (bytes, pools) = crate::core::live_pool_memory();
        vec![bytes as f64, pools as f64]
    }

    fn shut(&mut self, env: napi::sys::napi_env) {
        if let Some(session) = self.session.take() {
            drop(session); // stops and joins the producer and the relay
            delivery::reclaimed(env, self.pipeline.close());
        }
    }

    #[napi(getter)]
    pub fn running(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.is_running()) && self.pipeline.is_running()
    }

    /// Frames dropped so far because the pool was empty (`stats().audio.droppedFrames`, cheaply).
    #[napi(getter)]
    pub fn dropped_frames(&self) -> f64 {
        crate::core::Counters::get(&self.pipeline.counters.dropped_frames) as f64
    }

    /// Delivers up to `meta.length / 6` ready packets: returns their Buffers and writes
    /// seq, frames, captureTime (ms since the epoch), flags, attempts and gap frames for each
    /// into `meta`.
    #[napi]
    pub fn drain<'env>(
        &mut self,
        env: &'env Env,
        meta: Unknown<'env>,
    ) -> napi::Result<Unknown<'env>> {
        let e = env.raw();
        self.pipeline.scheduled.store(false, Ordering::Release);
        self.pipeline.drop_pending.store(false, Ordering::Release);
        // SAFETY: used only within this call; no JS runs while it is held (napi calls below
        // create Buffers but never call into JS), and `lib/capture.js` allocates it off-heap.
        let meta = unsafe { raw::f64_slice(e, meta.raw()) }
            .ok_or_else(|| invalid_arg("meta must be a Float64Array".into()))?;
        let arr = raw::array(e, 0).map_err(status_err)?;
        let max = meta.len() / META_PER_PACKET;
        let mut n = 0;
        let lent_before = Counters::get(&self.pipeline.counters.external);
        while n < max && self.session.is_some() {
            // The batch ends rather than copy a packet because of Buffers this very batch lent:
            // JS emits them first (a consumer that releases frees their slots) and drains again,
            // so the low-water mark judges what the consumer keeps, not the batch size.
            if self.delivery.at_low_water(&self.pipeline)
                && Counters::get(&self.pipeline.counters.external) != lent_before
            {
                break;
            }
            let Some(d) = self.pipeline.ready.pop() else {
                break;
            };
            let buf = self
                .delivery
                .deliver(e, &self.pipeline, d)
                .map_err(status_err)?;
            raw::set_element(e, arr, n as u32, buf).map_err(status_err)?;
            let m = &mut meta[n * META_PER_PACKET..(n + 1) * META_PER_PACKET];
            m[0] = d.seq as f64;
            m[1] = d.frames as f64;
            m[2] = d.capture_time_ns as f64 / 1e6;
            m[3] = d.flags as f64;
            m[4] = d.attempts as f64;
            m[5] = d.gap_frames as f64;
            n += 1;
        }
        // SAFETY: `arr` is a live array value created in this call on this env.
        Ok(unsafe { Unknown::from_raw_unchecked(e, arr) })
    }

    /// See `delivery::release`.
    #[napi]
    pub fn release(&self, env: &Env, value: Unknown) -> bool {
        delivery::release(env.raw(), &self.pipeline, value.raw())
    }

    #[napi]
    pub fn stats(&self) -> NativeStats {
        let running = self.running();
        let device = self.session.as_ref().and_then(|s| s.opened_device());
        let app = self.session.as_ref().and_then(|s| s.app_state());
        let d = &self.delivery;
        snapshot(
            &self.pipeline,
            d.effective_mode(),
            d.external_allowed,
            running,
            device,
            app.as_deref(),
        )
    }

    /// The next fatal source error reported since the last call, as `[CODE] message`.
    #[napi]
    pub fn take_error(&self) -> Option<String> {
        self.pipeline.errors.pop().map(|e| to_js(e).reason)
    }

    /// The next device loss a `reconnect` capture survived (oldest first).
    #[napi]
    pub fn take_disconnect(&self) -> Option<NativeDisconnect> {
        self.pipeline.disconnects.pop().map(|d| NativeDisconnect {
            seq: d.seq as f64,
            error: to_js(d.error).reason,
        })
    }

    /// The next switch of a default capture to the new default device (oldest first).
    #[napi]
    pub fn take_device_change(&self) -> Option<NativeDeviceChange> {
        let r = |(id, name): (String, String)| NativeDeviceRef { id, name };
        self.pipeline
            .device_changes
            .pop()
            .map(|d| NativeDeviceChange {
                seq: d.seq as f64,
                from: r(d.from),
                to: r(d.to),
            })
    }

    /// Milliseconds from this capture's clock epoch to now (to map capture times onto
    /// `performance.now()`).
    #[napi]
    pub fn epoch_age_ms(&self) -> f64 {
        self.pipeline.epoch().elapsed().as_secs_f64() * 1e3
    }
}

impl ObjectFinalize for NativeCapture {
    /// The JS object was collected (or its env is torn down) without `close()`: close it now.
    fn finalize(mut self, env: Env) -> napi::Result<()> {
        self.shut(env.raw());
        Ok(())
    }
}

fn status_err(status: napi::sys::napi_status) -> napi::Error {
    napi::Error::new(
        Status::from(status),
        format!("Node-API call failed with status {status}"),
    )
}
