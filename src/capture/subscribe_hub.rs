//! The subscription hub itself: its listeners, the guards that unregister them, and at most one
//! worker thread with its own connection to the server, whose events it dispatches to every
//! listener. `subscribe.rs` holds the process's hub and its entry points.
//!
//! Lifetime: the hub thread (`pcmtap-devwatch`) and its connection exist only while at least one
//! [`SubscriptionGuard`] does. The last guard dropped stops the thread: the socket is shut down
//! (which unblocks its read) and the thread joined, in well under a millisecond. While listeners
//! exist and the server is away, the hub tries again every [`RECONNECT_EVERY`], sleeping on a
//! condition variable in between (no busy loop; a stop wakes it at once).
//!
//! Guarantee: once a guard's drop returns, its listener is never called again (the drop waits
//! for a dispatch in progress), except when the guard is dropped by a listener on the hub thread
//! itself (the rest of that one dispatch may still call it).
//!
//! Threads: `subscribe` and guard drops on any thread; the connection, the reads and every
//! listener call on the hub thread (`pcmtap-devwatch`).

use std::cell::Cell;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::server_event::{HubStats, Listener, ServerEvent};
use super::subscribe_wire::Connection;
use crate::error::{Error, ErrorKind};

/// How often the hub tries to reach a server that is away, while listeners exist.
pub const RECONNECT_EVERY: Duration = Duration::from_millis(200);

thread_local! {
    /// True on a hub thread (a guard dropped there must not wait for the dispatch it is in).
    static ON_HUB_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Unregisters its listener when dropped (and stops the hub if it was the last one).
#[must_use = "dropping the guard unsubscribes at once"]
pub struct SubscriptionGuard {
    hub: &'static Hub,
    id: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.hub.unsubscribe(self.id);
    }
}

/// The hub: listeners and at most one live worker. A value (not only the static) so tests can
/// run hubs with connectors of their own.
pub(super) struct Hub {
    connector: fn() -> io::Result<UnixStream>,
    state: Mutex<HubState>,
    /// Held while listeners are called (see the guarantee in the module docs).
    dispatch: Mutex<()>,
    threads: AtomicUsize,
    connections: AtomicU64,
}

#[derive(Default)]
struct HubState {
    /// Copied on write, so a dispatch takes a snapshot with one refcount bump.
    listeners: Arc<Vec<(u64, Listener)>>,
    next_id: u64,
    worker: Option<Worker>,
}

struct Worker {
    control: Arc<Control>,
    thread: JoinHandle<()>,
}

/// How a guard drop stops a worker.
#[derive(Default)]
struct Control {
    stopped: Mutex<bool>,
    wake: Condvar,
    /// A clone of the live socket, to shut down (this ends a blocked read at once).
    socket: Mutex<Option<UnixStream>>,
}

impl Control {
    fn stop(&self) {
        *self.stopped.lock() = true;
        self.wake.notify_all();
        if let Some(s) = self.socket.lock().as_ref() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn is_stopped(&self) -> bool {
        *self.stopped.lock()
    }

    /// Sleeps for `d` or until stopped; true if stopped.
    fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        let mut stopped = self.stopped.lock();
        while !*stopped && !self.wake.wait_until(&mut stopped, until).timed_out() {}
        *stopped
    }

    /// Makes `s` the socket a stop shuts down; false if already stopped (then drop it).
    fn adopt(&self, s: &UnixStream) -> bool {
        *self.socket.lock() = s.try_clone().ok();
        !self.is_stopped()
    }
}

impl Hub {
    pub(super) fn new(connector: fn() -> io::Result<UnixStream>) -> Self {
        Self {
            connector,
            state: Mutex::new(HubState {
                listeners: Arc::new(Vec::new()),
                next_id: 0,
                worker: None,
            }),
            dispatch: Mutex::new(()),
            threads: AtomicUsize::new(0),
            connections: AtomicU64::new(0),
        }
    }

    pub(super) fn subscribe(&'static self, listener: Listener) -> Result<SubscriptionGuard, Error> {
        let mut state = self.state.lock();
        if state.worker.is_none() {
            state.worker = Some(self.spawn()?);
        }
        let id = state.next_id;
        state.next_id += 1;
        let mut listeners = Vec::clone(&state.listeners);
        listeners.push((id, listener));
        state.listeners = Arc::new(listeners);
        Ok(SubscriptionGuard { hub: self, id })
    }

    fn unsubscribe(&self, id: u64) {
        let (worker, dropped) = {
            let mut state = self.state.lock();
            let mut listeners = Vec::clone(&state.listeners);
            let dropped: Vec<_> = listeners.extract_if(.., |(i, _)| *i == id).collect();
            state.listeners = Arc::new(listeners);
            let last = state.listeners.is_empty();
            (if last { state.worker.take() } else { None }, dropped)
        };
        let on_hub = ON_HUB_THREAD.with(Cell::get);
        if let Some(w) = worker {
            w.control.stop();
            if !on_hub {
                let _ = w.thread.join();
            }
        } else if !on_hub {
            drop(self.dispatch.lock()); // a dispatch in progress may still hold the listener
        }
        drop(dropped); // outside every lock: a listener may own anything
    }

    pub(super) fn stats(&self) -> HubStats {
        HubStats {
            listeners: self.state.lock().listeners.len(),
            threads: self.threads.load(Ordering::SeqCst),
            connections: self.connections.load(Ordering::SeqCst),
        }
    }

    fn spawn(&'static self) -> Result<Worker, Error> {
        let control = Arc::new(Control::default());
        let c = control.clone();
        self.threads.fetch_add(1, Ordering::SeqCst);
        std::thread::Builder::new()
            .name("pcmtap-devwatch".into())
            .spawn(move || {
                ON_HUB_THREAD.with(|on| on.set(true));
                self.run(&c);
                self.threads.fetch_sub(1, Ordering::SeqCst);
            })
            .map(|thread| Worker { control, thread })
            .map_err(|e| {
                self.threads.fetch_sub(1, Ordering::SeqCst);
                Error::new(
                    ErrorKind::ThreadSpawn,
                    format!("the device watch thread could not start: {e}"),
                )
            })
    }

    /// The worker: connect, subscribe, read events until the connection ends; again after
    /// [`RECONNECT_EVERY`], until stopped.
    fn run(&self, control: &Control) {
        loop {
            if let Ok(sock) = (self.connector)() {
                if !control.adopt(&sock) {
                    return;
                }
                self.serve(sock, control);
                *control.socket.lock() = None;
            }
            if control.sleep(RECONNECT_EVERY) {
                return;
            }
        }
    }

    /// One connection: subscribed, every event dispatched; `Disconnected` when it ends while
    /// listeners exist.
    fn serve(&self, sock: UnixStream, control: &Control) {
        let Ok(mut conn) = Connection::subscribe(sock) else {
            return;
        };
        self.connections.fetch_add(1, Ordering::SeqCst);
        self.dispatch(&ServerEvent::Connected);
        while let Ok(event) = conn.next_event() {
            if let Some(e) = event {
                self.dispatch(&e);
            }
        }
        if !control.is_stopped() {
            self.dispatch(&ServerEvent::Disconnected);
        }
    }

    fn dispatch(&self, event: &ServerEvent) {
        let listeners = {
            let _dispatching = self.dispatch.lock();
            let listeners = self.state.lock().listeners.clone();
            for (_, listener) in listeners.iter() {
                // A panicking listener must not end the hub for every other one.
                let _ = catch_unwind(AssertUnwindSafe(|| listener(event)));
            }
            listeners
        };
        // A listener whose guard was dropped meanwhile may be freed here: after the dispatch
        // lock is released, so its drop may do anything.
        drop(listeners);
    }
}

#[cfg(test)]
#[path = "subscribe_tests.rs"]
mod tests;
