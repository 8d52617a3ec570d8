//! `watchDevices()` on Windows: the system's endpoint notifications (`IMMNotificationClient`,
//! registered on an `IMMDeviceEnumerator` while at least one listener exists, `notify_hub.rs`)
//! turned into the [`ServerEvent`]s the Linux hub sends. An endpoint added, removed, enabled or
//! disabled is a [`Facility::Source`] event (`New` when it became active, `Removed` otherwise);
//! a new default endpoint (any flow, any role) is a [`Facility::Server`] change. `lib/watch.js`
//! lists the devices after each burst, as on Linux.
//!
//! Threads: registration where the first listener subscribes (the JS thread); the notifications
//! on a thread of the system's audio service (MMDevAPI).

use windows::core::{implement, PCWSTR};
use windows::Win32::Foundation::{PROPERTYKEY, RPC_E_CHANGED_MODE};
use windows::Win32::Media::Audio::{
    EDataFlow, ERole, IMMDeviceEnumerator, IMMNotificationClient, IMMNotificationClient_Impl,
    MMDeviceEnumerator, DEVICE_STATE, DEVICE_STATE_ACTIVE,
};
use windows::Win32::System::Com::{
    CoCreateInstance, CoInitializeEx, CLSCTX_ALL, COINIT_APARTMENTTHREADED,
};

use super::notify_hub::{self, dispatch, Registration};
use super::server_event::{ChangeKind, Facility, Listener, ServerEvent};
use crate::error::{Error, ErrorKind};

pub use super::notify_hub::{hub_stats, SubscriptionGuard};

/// Registers `listener` for every endpoint event until the guard is dropped.
///
/// # Errors
/// [`ErrorKind::HostUnavailable`] when COM or the device enumerator cannot be had, or the system
/// refuses the registration (the listener is not registered).
pub fn subscribe(listener: Listener) -> Result<SubscriptionGuard, Error> {
    notify_hub::subscribe(listener, register)
}

/// The registered notification client; dropping it unregisters (which waits for a notification
/// in progress: the system's call is synchronous).
struct Registered {
    enumerator: IMMDeviceEnumerator,
    client: IMMNotificationClient,
}

// SAFETY: the enumerator is free-threaded (MMDevAPI's objects use the "Both" threading model) and
// is only used to register and unregister `client`, this crate's own object holding no data.
unsafe impl Send for Registered {}

impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: `client` was registered on `enumerator` by `register`.
        unsafe {
            let _ = self
                .enumerator
                .UnregisterEndpointNotificationCallback(&self.client);
        }
    }
}

/// The system's device enumerator, COM initialised on the calling thread as cpal does
/// (single-threaded apartment; already initialised either way is fine) and left so. `Err`: the
/// step that failed, and how.
pub fn device_enumerator() -> Result<IMMDeviceEnumerator, (&'static str, windows::core::Error)> {
    // SAFETY: plain COM calls with valid arguments.
    unsafe {
        let hr = CoInitializeEx(None, COINIT_APARTMENTTHREADED);
        if hr.is_err() && hr != RPC_E_CHANGED_MODE {
            return Err(("CoInitializeEx", hr.into()));
        }
        CoCreateInstance(&MMDeviceEnumerator, None, CLSCTX_ALL)
            .map_err(|e| ("MMDeviceEnumerator", e))
    }
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
    let enumerator = device_enumerator().map_err(|(what, e)| failed(what, e))?;
    // SAFETY: plain COM calls with valid arguments, on the enumerator just made.
    unsafe {
        let client: IMMNotificationClient = Client.into();
        enumerator
            .RegisterEndpointNotificationCallback(&client)
            .map_err(|e| failed("RegisterEndpointNotificationCallback", e))?;
        Ok(Box::new(Registered { enumerator, client }))
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

    fn OnDefaultDeviceChanged(
        &self,
        _flow: EDataFlow,
        _role: ERole,
        _id: &PCWSTR,
    ) -> windows::core::Result<()> {
        dispatch(ServerEvent::Object {
            facility: Facility::Server,
            kind: ChangeKind::Changed,
            index: None,
        });
        Ok(())
    }

    fn OnPropertyValueChanged(
        &self,
        _id: &PCWSTR,
        _key: &PROPERTYKEY,
    ) -> windows::core::Result<()> {
        Ok(())
    }
}
