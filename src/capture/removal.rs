//! A capture of an explicitly chosen server source is told at once when the server removes that
//! source, or moves the capture's stream to another one. PulseAudio and PipeWire's pulse server
//! move a record stream whose source goes away to their default source, and PulseAudio also
//! moves a stream whose source was the default when the default changes; without this the
//! capture kept running and recorded another device without a word (measured: a 440 Hz monitor
//! became the default's 1000 Hz, `running` true, `stats().device` naming the removed source).
//!
//! When the device opens, the source's server index is looked up, and this process's record
//! streams on it not yet claimed by another capture are claimed as this capture's. The
//! subscription hub (`subscribe.rs`) then reports the source's removal, or a change of a claimed
//! stream, whose source is then asked; either runs the capture's loss path (the same as a fatal
//! host error): `DEVICE_LOST`, or with `reconnect` `'disconnect'` and a wait for that source
//! (reopened by id: never the default in its place).
//!
//! Threads: [`watch`] runs where the device opens (JS or reconnect thread), after the stream
//! started; the listener runs on the hub thread (`pcmtap-devwatch`): cheap, except for one
//! question to the server when a claimed stream changed (a move, a cork: rare).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::server_event::{ChangeKind, Facility, ServerEvent};
use super::subscribe::{own_outputs_on, source_index, source_of_output, subscribe, SubscriptionGuard};
use crate::error::{Error, ErrorKind};

/// Record streams claimed by a running watch of this process.
static CLAIMED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Watches one source and its streams while it lives; dropping it stops watching.
pub struct RemovalWatch {
    _guard: SubscriptionGuard,
    claimed: Vec<u32>,
}

impl Drop for RemovalWatch {
    fn drop(&mut self) {
        CLAIMED.lock().retain(|i| !self.claimed.contains(i));
    }
}

/// Calls `lost` once, with `DEVICE_LOST` naming `id`, when the server removes the source it
/// calls `source` or moves the capture's stream off it. `None` when the source cannot be looked
/// up (no server on the socket listDevices() reads) or the hub cannot start.
pub fn watch(
    source: &str,
    id: &str,
    lost: impl Fn(Error) + Send + Sync + 'static,
) -> Option<RemovalWatch> {
    let index = source_index(source)?;
    let claimed: Vec<u32> = {
        let mut all = CLAIMED.lock();
        let mine: Vec<u32> = own_outputs_on(index)
            .into_iter()
            .filter(|o| !all.contains(o))
            .collect();
        all.extend(&mine);
        mine
    };
    let fired = AtomicBool::new(false);
    let id = id.to_string();
    let streams = claimed.clone();
    let guard = subscribe(Arc::new(move |e: &ServerEvent| {
        let ServerEvent::Object {
            facility,
            kind,
            index: Some(i),
        } = *e
        else {
            return;
        };
        let why = match (facility, kind) {
            (Facility::Source, ChangeKind::Removed) if i == index => "was removed from",
            (Facility::SourceOutput, ChangeKind::Changed) if streams.contains(&i) => {
                match source_of_output(i) {
                    Some(s) if s != index => "had its stream moved to another source by",
                    _ => return,
                }
            }
            _ => return,
        };
        if !fired.swap(true, Ordering::AcqRel) {
            lost(Error::new(
                ErrorKind::DeviceLost,
                format!("'{id}' {why} the sound server (it is never replaced by another device)"),
            ));
        }
    }))
    .ok()?;
    Some(RemovalWatch {
        _guard: guard,
        claimed,
    })
}
