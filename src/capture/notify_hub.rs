//! The listener registry of `watchDevices()` where the system itself notifies device changes
//! (Windows: `endpoint_watch.rs`; macOS: `coreaudio_watch.rs`), with the interface of the Linux
//! hub (`subscribe.rs`): listeners registered until their guard drops, the system's
//! registration made for the first listener and undone after the last, every notification
//! fanned out to every listener as a [`ServerEvent`].
//!
//! Guarantee (as `subscribe_hub.rs`): once a guard's drop returns, its listener is never called
//! again, except when the guard is dropped by a listener during a notification (the rest of that
//! one notification may still call it).
//!
//! Threads: `subscribe` and guard drops on any thread (the JS thread in practice); [`dispatch`]
//! on the system's notification thread, which calls each listener there.

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use super::server_event::{HubStats, Listener, ServerEvent};
use crate::error::Error;

thread_local! {
    /// True while this thread calls listeners (a guard dropped there must not wait for itself).
    static IN_DISPATCH: Cell<bool> = const { Cell::new(false) };
}

/// What keeps the system's registration alive: dropping it undoes the registration.
pub type Registration = Box<dyn Any + Send>;

#[derive(Default)]
struct State {
    /// Copied on write, so a notification takes a snapshot with one refcount bump.
    listeners: Arc<Vec<(u64, Listener)>>,
    next_id: u64,
    registration: Option<Registration>,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(Default::default);
/// Held while listeners are called (see the guarantee above).
static DISPATCH: Mutex<()> = Mutex::new(());
/// Registrations made so far (`HubStats::connections`).
static REGISTRATIONS: AtomicU64 = AtomicU64::new(0);

/// Registers `listener` until the guard is dropped; calls `register` first if no registration
/// exists (its error is returned and the listener not registered).
pub fn subscribe(
    listener: Listener,
    register: fn() -> Result<Registration, Error>,
) -> Result<SubscriptionGuard, Error> {
    let mut st = STATE.lock();
    if st.registration.is_none() {
        st.registration = Some(register()?);
        REGISTRATIONS.fetch_add(1, Ordering::Relaxed);
    }
    let id = st.next_id;
    st.next_id += 1;
    let mut list = (*st.listeners).clone();
    list.push((id, listener));
    st.listeners = Arc::new(list);
    Ok(SubscriptionGuard { id })
}

/// Calls every listener with `e` (on the system's notification thread).
pub fn dispatch(e: ServerEvent) {
    let _d = DISPATCH.lock();
    let listeners = STATE.lock().listeners.clone();
    IN_DISPATCH.with(|f| f.set(true));
    for (_, l) in listeners.iter() {
        // A panicking listener must not unwind into the system's thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l(&e)));
    }
    IN_DISPATCH.with(|f| f.set(false));
}

/// Unregisters its listener when dropped (and the system's registration with the last one).
#[must_use = "dropping the guard unsubscribes at once"]
pub struct SubscriptionGuard {
    id: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        let in_dispatch = IN_DISPATCH.with(|f| f.get());
        let last = {
            let mut st = STATE.lock();
            let list: Vec<_> = st
                .listeners
                .iter()
                .filter(|(i, _)| *i != self.id)
                .cloned()
                .collect();
            st.listeners = Arc::new(list);
            // From a listener: undoing the registration may wait for the notification it is in.
            if st.listeners.is_empty() && !in_dispatch {
                st.registration.take()
            } else {
                None
            }
        };
        if !in_dispatch {
            // Outside every lock: undoing it may wait for a notification in progress.
            drop(last);
            drop(DISPATCH.lock());
        }
    }
}

/// Listeners and registrations (`threads`: 1 while registered: the system's notification thread
/// calls in).
pub fn hub_stats() -> HubStats {
    let st = STATE.lock();
    HubStats {
        listeners: st.listeners.len(),
        threads: usize::from(st.registration.is_some()),
        connections: REGISTRATIONS.load(Ordering::Relaxed),
    }
}
