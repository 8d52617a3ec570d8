//! `watchDevices()` on macOS: CoreAudio property listeners on the system object, for its device
//! list (`kAudioHardwarePropertyDevices`) and its default input and output
//! (`kAudioHardwarePropertyDefaultInputDevice`, `…DefaultOutputDevice`), registered while at
//! least one listener exists (`notify_hub.rs`) and turned into the [`ServerEvent`]s the Linux hub
//! sends: the device list changing is a [`Facility::Source`] event, a default changing a
//! [`Facility::Server`] change. Type-checked here (`npm run check:targets`); never run: no macOS
//! machine is reachable from this project's CI.
//!
//! The listener procedure has no client data (it calls the process-wide registry), so a
//! notification racing the removal never touches freed memory.
//!
//! Threads: registration where the first listener subscribes (the JS thread); the notifications
//! on CoreAudio's own notification thread.

use std::ffi::c_void;
use std::ptr::{null_mut, NonNull};

use objc2_core_audio::{
    kAudioHardwarePropertyDefaultInputDevice, kAudioHardwarePropertyDefaultOutputDevice,
    kAudioHardwarePropertyDevices, kAudioObjectPropertyElementMain,
    kAudioObjectPropertyScopeGlobal, kAudioObjectSystemObject, AudioObjectAddPropertyListener,
    AudioObjectID, AudioObjectPropertyAddress, AudioObjectRemovePropertyListener,
};

use super::notify_hub::{self, dispatch, Registration};
use super::server_event::{ChangeKind, Facility, Listener, ServerEvent};
use crate::error::{Error, ErrorKind};

pub use super::notify_hub::{hub_stats, SubscriptionGuard};

/// The properties listened to, and the event each one means.
const WATCHED: [(u32, Facility); 3] = [
    (kAudioHardwarePropertyDevices, Facility::Source),
    (kAudioHardwarePropertyDefaultInputDevice, Facility::Server),
    (kAudioHardwarePropertyDefaultOutputDevice, Facility::Server),
];

/// Registers `listener` for every device event until the guard is dropped.
///
/// # Errors
/// [`ErrorKind::HostUnavailable`] when CoreAudio refuses a listener (the listener is not
/// registered).
pub fn subscribe(listener: Listener) -> Result<SubscriptionGuard, Error> {
    notify_hub::subscribe(listener, register)
}

fn address(selector: u32) -> AudioObjectPropertyAddress {
    AudioObjectPropertyAddress {
        mSelector: selector,
        mScope: kAudioObjectPropertyScopeGlobal,
        mElement: kAudioObjectPropertyElementMain,
    }
}

/// The listeners added; dropping it removes them.
struct Registered {
    added: Vec<u32>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        for &selector in &self.added {
            let a = address(selector);
            // SAFETY: the same object, address and procedure (with null client data) as added.
            unsafe {
                AudioObjectRemovePropertyListener(
                    kAudioObjectSystemObject as AudioObjectID,
                    NonNull::from(&a),
                    Some(on_property),
                    null_mut(),
                );
            }
        }
    }
}

fn register() -> Result<Registration, Error> {
    let mut done = Registered { added: Vec::new() };
    for (selector, _) in WATCHED {
        let a = address(selector);
        // SAFETY: a valid address on the system object; the procedure uses no client data.
        let status = unsafe {
            AudioObjectAddPropertyListener(
                kAudioObjectSystemObject as AudioObjectID,
                NonNull::from(&a),
                Some(on_property),
                null_mut(),
            )
        };
        if status != 0 {
            // `done` removes the listeners already added.
            return Err(Error::new(
                ErrorKind::HostUnavailable,
                format!("cannot watch the audio devices: AudioObjectAddPropertyListener failed (OSStatus {status})"),
            ));
        }
        done.added.push(selector);
    }
    Ok(Box::new(done))
}

/// CoreAudio's listener procedure: one event per changed property.
unsafe extern "C-unwind" fn on_property(
    _object: AudioObjectID,
    count: u32,
    addresses: NonNull<AudioObjectPropertyAddress>,
    _client: *mut c_void,
) -> i32 {
    for i in 0..count as usize {
        // SAFETY: CoreAudio passes `count` addresses at `addresses`.
        let selector = unsafe { addresses.as_ptr().add(i).read().mSelector };
        if let Some(&(_, facility)) = WATCHED.iter().find(|(s, _)| *s == selector) {
            let kind = match facility {
                Facility::Source => ChangeKind::New,
                _ => ChangeKind::Changed,
            };
            dispatch(ServerEvent::Object {
                facility,
                kind,
                index: None,
            });
        }
    }
    0
}
