//! `watchDevices()` for JS: one subscription to the server hub (`capture::subscribe`) that wakes
//! a JS function when the device list may have changed. `lib/watch.js` shares one of these among
//! all its watchers, settles each burst and lists the devices.
//!
//! Coalescing: the hub's listener calls the threadsafe function only when no wake is pending
//! (an atomic flag, set by the call, cleared by JS through `rearm()` just before it lists), so a
//! burst of server events (a sink load sends sink, source and card events within a millisecond)
//! wakes JS once, and no event that comes after JS listed is lost.
//!
//! The threadsafe function is weak (unref'd): a subscription never keeps the process alive.
//!
//! Threads: `watchDevices`, `rearm`, `close` on the JS thread; the listener on the hub thread
//! (`pcmtap-devwatch`): one atomic swap and at most one non-blocking threadsafe-function call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;

use super::errors::to_js;
use crate::capture::{self, ChangeKind, Facility, ServerEvent, SubscriptionGuard};

/// Whether `e` can change what `listDevices()` returns: a source appearing or going away, the
/// server's defaults, the connection. Not a source's volume, state or properties changing
/// (every capture start and stop sends those) nor sinks (their monitors have source events).
fn changes_devices(e: &ServerEvent) -> bool {
    match e {
        ServerEvent::Object {
            facility: Facility::Source,
            kind,
            ..
        } => *kind != ChangeKind::Changed,
        ServerEvent::Object {
            facility: Facility::Server,
            ..
        } => true,
        ServerEvent::Object { .. } => false,
        ServerEvent::Connected | ServerEvent::Disconnected => true,
    }
}

/// One subscription of one JS env.
#[napi]
pub struct NativeDeviceSubscription {
    guard: Option<SubscriptionGuard>,
    pending: Arc<AtomicBool>,
}

#[napi]
impl NativeDeviceSubscription {
    /// Lets the next server event wake JS again. Call before listing the devices.
    #[napi]
    pub fn rearm(&self) {
        self.pending.store(false, Ordering::SeqCst);
    }

    /// Unsubscribes (the last subscription of the process stops the hub thread). Once it
    /// returns, the function is never called again for a new event. Idempotent.
    #[napi]
    pub fn close(&mut self) {
        self.guard.take();
    }
}

/// Subscribes: `on_change` is called (no arguments) on the JS thread when the device list may
/// have changed, at most once until `rearm()`.
#[napi]
pub fn watch_devices(on_change: Function<(), ()>) -> napi::Result<NativeDeviceSubscription> {
    let tsfn = on_change
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .build()?;
    let pending = Arc::new(AtomicBool::new(false));
    let flag = pending.clone();
    let listener = Arc::new(move |e: &ServerEvent| {
        if changes_devices(e) && !flag.swap(true, Ordering::SeqCst) {
            // Closing (env teardown): nothing to wake. Failed (queue full): never, unbounded.
            let _ = tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    });
    let guard = capture::subscribe(listener).map_err(to_js)?;
    Ok(NativeDeviceSubscription {
        guard: Some(guard),
        pending,
    })
}

#[napi(object)]
pub struct NativeDeviceWatchStats {
    /// Listeners of the process-wide hub now (every env's subscriptions, and captures').
    pub listeners: u32,
    /// Hub threads alive now.
    pub threads: u32,
    /// Server connections the hub subscribed so far.
    pub connections: f64,
}

/// The hub's counters (tests prove sharing and teardown with them).
#[napi]
pub fn device_watch_stats() -> NativeDeviceWatchStats {
    let s = capture::hub_stats();
    NativeDeviceWatchStats {
        listeners: s.listeners as u32,
        threads: s.threads as u32,
        connections: s.connections as f64,
    }
}

/// True where server events exist (Linux/BSD); elsewhere `lib/watch.js` polls.
#[napi]
pub fn device_watch_supported() -> bool {
    capture::SUBSCRIPTION_SUPPORTED
}
