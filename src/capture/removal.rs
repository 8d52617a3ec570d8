//! A capture of an explicitly chosen server source is told at once when the server removes that
//! source. PulseAudio and PipeWire's pulse server move a record stream whose source goes away to
//! their default source, so without this the capture kept running and recorded another device
//! without a word (measured: a 440 Hz monitor became the default's 1000 Hz, `running` true,
//! `stats().device` naming the removed source).
//!
//! The source's server index is looked up when the device opens; the subscription hub
//! (`subscribe.rs`) then reports its removal, and the capture's loss path runs (the same as a
//! fatal host error): `DEVICE_LOST`, or with `reconnect` `'disconnect'` and a wait for that
//! source to come back (reopened by id: never the default in its place).
//!
//! Threads: [`watch`] runs where the device opens (JS or reconnect thread); the callback runs on
//! the hub thread (`pcmtap-devwatch`) and must be cheap (it pushes the error and unparks).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::server_event::{ChangeKind, Facility, ServerEvent};
use super::subscribe::{source_index, subscribe, SubscriptionGuard};
use crate::error::{Error, ErrorKind};

/// Watches one source while it lives; dropping it stops watching.
pub struct RemovalWatch {
    _guard: SubscriptionGuard,
}

/// Calls `removed` once, with `DEVICE_LOST` naming `id`, when the server removes the source it
/// calls `source`. `None` when the source cannot be looked up (no server on the socket
/// listDevices() reads) or the hub cannot start.
pub fn watch(source: &str, id: &str, removed: impl Fn(Error) + Send + Sync + 'static) -> Option<RemovalWatch> {
    let index = source_index(source)?;
    let fired = AtomicBool::new(false);
    let id = id.to_string();
    let guard = subscribe(Arc::new(move |e: &ServerEvent| {
        let gone = matches!(e, ServerEvent::Object { facility: Facility::Source, kind: ChangeKind::Removed, index: Some(i) } if *i == index);
        if gone && !fired.swap(true, Ordering::AcqRel) {
            removed(Error::new(
                ErrorKind::DeviceLost,
                format!("'{id}' was removed from the sound server (it is never replaced by another device)"),
            ));
        }
    }))
    .ok()?;
    Some(RemovalWatch { _guard: guard })
}
