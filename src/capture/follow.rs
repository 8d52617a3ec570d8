//! A capture of the default device follows the default: when the server's default source (or,
//! for `loopback: true`, its default sink) changes to another device, the capture switches to
//! it. The server's change event is seen here (the subscription hub, `subscribe.rs`); the switch
//! itself (stop the old stream, open the new default, count the gap, flag the first packet,
//! queue `'devicechange'`) is the reconnect thread's (`reconnect.rs`), which owns the stream.
//!
//! Threads: [`watch`] runs where the device opens (JS or reconnect thread); the listener runs on
//! the hub thread (`pcmtap-devwatch`): one question to the server per server change event (a
//! default set, rare), then at most an atomic store and an unpark.

use std::sync::Arc;

use parking_lot::Mutex;

use super::link::Link;
use super::server_event::{ChangeKind, Facility, ServerEvent};
use super::subscribe::{default_source, subscribe, SubscriptionGuard};

/// Watches the server's default while it lives; dropping it stops watching.
pub struct DefaultWatch {
    _guard: SubscriptionGuard,
    /// The source captured now (the reconnect thread updates it after a switch).
    current: Arc<Mutex<String>>,
}

impl DefaultWatch {
    /// The capture now reads `source` (after a switch, or a return by id).
    pub fn set_current(&self, source: &str) {
        *self.current.lock() = source.to_string();
    }
}

/// Requests a switch on `link` whenever the server's default (source, or with `loopback` the
/// default sink's monitor) is another source than the one captured. `None` when the hub cannot
/// start.
pub fn watch(loopback: bool, source: &str, link: Arc<Link>) -> Option<DefaultWatch> {
    let current = Arc::new(Mutex::new(source.to_string()));
    let seen = current.clone();
    let guard = subscribe(Arc::new(move |e: &ServerEvent| {
        let relevant = matches!(
            e,
            ServerEvent::Connected
                | ServerEvent::Object {
                    facility: Facility::Server,
                    kind: ChangeKind::Changed | ChangeKind::New,
                    ..
                }
        );
        if !relevant {
            return;
        }
        if let Some(now) = default_source(loopback) {
            if now != *seen.lock() {
                link.request_switch();
            }
        }
    }))
    .ok()?;
    Some(DefaultWatch {
        _guard: guard,
        current,
    })
}
