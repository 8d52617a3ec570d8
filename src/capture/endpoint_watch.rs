//! `watchDevices()` on Windows: the system's endpoint notifications (`IMMNotificationClient`,
//! registered once on an `IMMDeviceEnumerator` while at least one listener exists) turned into
//! the same [`ServerEvent`]s the Linux hub sends, fanned out to every listener. An endpoint added,
//! removed, enabled or disabled is a [`Facility::Source`] event (`New` when it became active,
//! `Removed` otherwise); a new default endpoint (any flow, any role) is a [`Facility::Server`]
//! change. `lib/watch.js` lists the devices after each burst, as on Linux.
//!
//! Guarantee (as `subscribe.rs`): once a guard's drop returns, its listener is never called
//! again, except when the guard is dropped by a listener during a notification (the rest of that
//! one notification may still call it).
//!
//! Threads: `subscribe` and guard drops on any thread (the JS thread in practice); the
//! notifications on a thread of the system's audio service (MMDevAPI), which calls each listener
//! there: they must be cheap and must not block (an atomic swap and a threadsafe-function call).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use windows::core::{implement, PCWSTR};
use windows::Win32::Foundation::{PROPERTYKEY, RPC_E_CHANGED_MODE};
use windows::Win32::Media::Audio::{
    IMMDeviceEnumerator, IMMNotificationClient, IMMNotificationClient_Impl, MMDeviceEnumerator,
    DEVICE_STATE, DEVICE_STATE_ACTIVE, EDataFlow, ERole,
};
use windows::Win32::System::Com::{CoCreateInstance, CoInitializeEx, CLSCTX_ALL, COINIT_APARTMENTTHREADED};

use super::server_event::{ChangeKind, Facility, HubStats, Listener, ServerEvent};
use crate::error::{Error, ErrorKind};

thread_local! {
    /// True while this thread calls listeners (a guard dropped there must not wait for itself).
    static IN_DISPATCH: Cell<bool> = const { Cell::new(false) };
}

/// The registered notification client.
struct Registration {
    enumerator: IMMDeviceEnumerator,
    client: IMMNotificationClient,
}

// SAFETY: the enumerator is free-threaded (MMDevAPI's objects use the "Both" threading model) and
// is only used to register and unregister `client`, which is this crate's own object holding
// nothing but `Send + Sync` data.
unsafe impl Send for Registration {}

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

/// Registers `listener` for every endpoint event until the guard is dropped; registers the
/// notification client with the system if it is the first listener.
///
/// # Errors
/// [`ErrorKind::HostUnavailable`] when COM or the device enumerator cannot be had, or the system
/// refuses the registration (the listener is not registered).
pub fn subscribe(listener: Listener) -> Result<SubscriptionGuard, Error> {
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

fn register() -> Result<Registration, Error> {
    let failed = |what: &str, e: windows::core::Error| {
        Error::new(
            ErrorKind::HostUnavailable,
            format!(
                "cannot watch the audio endpoints: {what} failed: HRESULT 0x{:08X} {}",
                e.code().0 as u32,
                e.message()
            ),
        )
    };
    // SAFETY: plain COM calls with valid arguments. COM is initialised on this thread as cpal
    // does (single-threaded apartment; already initialised either way is fine) and left so.
    unsafe {
        let hr = CoInitializeEx(None, COINIT_APARTMENTTHREADED);
        if hr.is_err() && hr != RPC_E_CHANGED_MODE {
            return Err(failed("CoInitializeEx", hr.into()));
        }
        let enumerator: IMMDeviceEnumerator = CoCreateInstance(&MMDeviceEnumerator, None, CLSCTX_ALL)
            .map_err(|e| failed("MMDeviceEnumerator", e))?;
        let client: IMMNotificationClient = Client.into();
        enumerator
            .RegisterEndpointNotificationCallback(&client)
            .map_err(|e| failed("RegisterEndpointNotificationCallback", e))?;
        Ok(Registration { enumerator, client })
    }
}

/// Calls every listener with `e` (on the notification thread).
fn dispatch(e: ServerEvent) {
    let _d = DISPATCH.lock();
    let listeners = STATE.lock().listeners.clone();
    IN_DISPATCH.with(|f| f.set(true));
    for (_, l) in listeners.iter() {
        // A panicking listener must not unwind into the system's COM thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l(&e)));
    }
    IN_DISPATCH.with(|f| f.set(false));
}

/// Unregisters its listener when dropped (and the notification client with the last one).
#[must_use = "dropping the guard unsubscribes at once"]
pub struct SubscriptionGuard {
    id: u64,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        let last = {
            let mut st = STATE.lock();
            let list: Vec<_> = st.listeners.iter().filter(|(i, _)| *i != self.id).cloned().collect();
            st.listeners = Arc::new(list);
            // From a listener: unregistering would wait for the notification it is in.
            if st.listeners.is_empty() && !IN_DISPATCH.with(|f| f.get()) {
                st.registration.take()
            } else {
                None
            }
        };
        match last {
            // Waits for a notification in progress (the system's call is synchronous).
            // SAFETY: `client` was registered on `enumerator` by `register`.
            Some(r) => unsafe {
                let _ = r.enumerator.UnregisterEndpointNotificationCallback(&r.client);
            },
            None if !IN_DISPATCH.with(|f| f.get()) => drop(DISPATCH.lock()),
            None => {}
        }
    }
}

/// Listeners and registrations (`threads`: 1 while registered: the system's notification
/// thread calls in).
pub fn hub_stats() -> HubStats {
    let st = STATE.lock();
    HubStats {
        listeners: st.listeners.len(),
        threads: usize::from(st.registration.is_some()),
        connections: REGISTRATIONS.load(Ordering::Relaxed),
    }
}

#[implement(IMMNotificationClient)]
struct Client;

fn source(kind: ChangeKind) -> windows::core::Result<()> {
    dispatch(ServerEvent::Object {
        facility: Facility::Source,
        kind,
        index: None,
    });
    Ok(())
}

impl IMMNotificationClient_Impl for Client_Impl {
    fn OnDeviceStateChanged(&self, _id: &PCWSTR, state: DEVICE_STATE) -> windows::core::Result<()> {
        source(if state == DEVICE_STATE_ACTIVE {
            ChangeKind::New
        } else {
            ChangeKind::Removed
        })
    }

    fn OnDeviceAdded(&self, _id: &PCWSTR) -> windows::core::Result<()> {
        source(ChangeKind::New)
    }

    fn OnDeviceRemoved(&self, _id: &PCWSTR) -> windows::core::Result<()> {
        source(ChangeKind::Removed)
    }

    fn OnDefaultDeviceChanged(&self, _flow: EDataFlow, _role: ERole, _id: &PCWSTR) -> windows::core::Result<()> {
        dispatch(ServerEvent::Object {
            facility: Facility::Server,
            kind: ChangeKind::Changed,
            index: None,
        });
        Ok(())
    }

    fn OnPropertyValueChanged(&self, _id: &PCWSTR, _key: &PROPERTYKEY) -> windows::core::Result<()> {
        Ok(())
    }
}
