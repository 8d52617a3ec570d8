//! A Core Audio process tap (macOS 14.2+) and the private aggregate device it is read through,
//! owned by one guard: [`Tap::create`] makes the tap (`CATapDescription`: a stereo mixdown of some
//! processes, or of everything but some; private; unmuted) and a private tap-only aggregate device
//! over it (their descriptions: `coreaudio_tap_desc.rs`); [`Tap::start`] registers the IO proc
//! (`coreaudio_tap_io.rs`) and starts the device. Dropping the guard undoes whatever was done, in
//! reverse order: `AudioDeviceStop`, `AudioDeviceDestroyIOProcID` (then the IO proc's state is
//! freed), the aggregate device, `AudioHardwareDestroyProcessTap`; so every error path after a
//! creation cleans up.
//!
//! Permission: a tap needs the "System Audio Recording" permission of the application running
//! Node (its Info.plist must carry `NSAudioCaptureUsageDescription`). A refusal is mostly not an
//! error at all: the tap is created and delivers silence (reported by other projects; not seen
//! here). When `AudioHardwareCreateProcessTap` does fail, the message names the OSStatus and the
//! permission.
//!
//! Threads: created, started and dropped on the JS thread; the IO proc runs on the aggregate
//! device's IO thread (the capture's audio thread).

use std::ptr::NonNull;

use objc2::runtime::AnyClass;
use objc2_core_audio::{
    kAudioDevicePermissionsError, kAudioDevicePropertyNominalSampleRate,
    kAudioHardwareIllegalOperationError, kAudioTapPropertyFormat, kAudioTapPropertyUID,
    AudioDeviceCreateIOProcID, AudioDeviceDestroyIOProcID, AudioDeviceIOProcID, AudioDeviceStart,
    AudioDeviceStop, AudioHardwareDestroyAggregateDevice, AudioObjectID,
};
use objc2_core_audio_types::{kAudioFormatFlagIsFloat, kAudioFormatLinearPCM};

use super::coreaudio_apps_list::Selection;
use super::coreaudio_props::{
    describe_status, read, read_string, tap_functions, DestroyTapFn, OsStatus, NEEDS_14_2,
};
use super::coreaudio_tap_desc::{aggregate, blank_format, describe};
use super::coreaudio_tap_io::{io_proc, IoState};
use super::coreaudio_tap_ring::TapRing;
use crate::error::{Error, ErrorKind};

pub struct Tap {
    destroy_tap: DestroyTapFn,
    tap: AudioObjectID,
    aggregate: AudioObjectID,
    io_proc: AudioDeviceIOProcID,
    /// The IO proc's state (`Box::into_raw`), freed in `drop` after the proc is destroyed.
    io_state: *mut IoState,
    started: bool,
    /// The rate the IO proc delivers at (the aggregate device's nominal rate, else the tap's).
    pub rate: u32,
}

// SAFETY: `io_state` is only dereferenced by the IO proc (while registered) and freed by `drop`
// after it is destroyed; the ids are plain numbers valid from any thread.
unsafe impl Send for Tap {}

pub(super) fn failed(call: &str, status: OsStatus) -> Error {
    Error::new(
        ErrorKind::StreamError,
        format!("{call} failed: {}", describe_status(status)),
    )
}

impl Tap {
    /// Creates the tap over `sel` and a private aggregate device reading it (not started).
    ///
    /// # Errors
    /// [`ErrorKind::UnsupportedConfig`] before macOS 14.2 or for a tap format that is not f32;
    /// [`ErrorKind::PermissionDenied`] or [`ErrorKind::StreamError`] when Core Audio refuses
    /// (the message names the OSStatus and the permission).
    pub fn create(sel: &Selection) -> Result<Self, Error> {
        let (create_tap, destroy_tap) =
            tap_functions().ok_or_else(|| Error::new(ErrorKind::UnsupportedConfig, NEEDS_14_2))?;
        if AnyClass::get(c"CATapDescription").is_none() {
            return Err(Error::new(ErrorKind::UnsupportedConfig, NEEDS_14_2));
        }
        let mut id: AudioObjectID = 0;
        // In a pool of its own: the JS thread has none, and Foundation may autorelease.
        let status = objc2::rc::autoreleasepool(|_| {
            let desc = describe(sel);
            // SAFETY: a valid description and a writable id; the function has this signature.
            unsafe { create_tap(objc2::rc::Retained::as_ptr(&desc), &mut id) }
        });
        if status == 0 && id == 0 {
            return Err(Error::new(
                ErrorKind::StreamError,
                "AudioHardwareCreateProcessTap returned no tap",
            ));
        }
        if status != 0 {
            // 'nope' and '!hog' are what a refusal is reported as, when it is reported at all
            // (mostly the tap is created and delivers silence: see the module docs).
            let kind = if status == kAudioHardwareIllegalOperationError
                || status == kAudioDevicePermissionsError
            {
                ErrorKind::PermissionDenied
            } else {
                ErrorKind::StreamError
            };
            return Err(Error::new(
                kind,
                format!(
                    "cannot tap the application's audio: AudioHardwareCreateProcessTap failed ({}); process taps \
                     need the System Audio Recording permission (System Settings > Privacy & Security > Screen & \
                     System Audio Recording) for the application running Node, whose Info.plist must have \
                     NSAudioCaptureUsageDescription",
                    describe_status(status)
                ),
            ));
        }
        let mut tap = Self {
            destroy_tap,
            tap: id,
            aggregate: 0,
            io_proc: None,
            io_state: std::ptr::null_mut(),
            started: false,
            rate: 0,
        };
        let format = read::<_, ()>(id, kAudioTapPropertyFormat, None, None, blank_format())
            .map_err(|s| failed("reading the tap's format (kAudioTapPropertyFormat)", s))?;
        if format.mFormatID != kAudioFormatLinearPCM
            || format.mFormatFlags & kAudioFormatFlagIsFloat == 0
            || format.mBitsPerChannel != 32
            || !(1_000.0..=384_000.0).contains(&format.mSampleRate)
        {
            return Err(Error::new(
                ErrorKind::UnsupportedConfig,
                format!(
                    "the process tap delivers a format pcmtap does not read (format {:#x}, flags {:#x}, {} bits, {} Hz); f32 PCM expected",
                    format.mFormatID, format.mFormatFlags, format.mBitsPerChannel, format.mSampleRate
                ),
            ));
        }
        let uid = read_string(id, kAudioTapPropertyUID)
            .map_err(|s| failed("reading the tap's UID (kAudioTapPropertyUID)", s))?
            .ok_or_else(|| Error::new(ErrorKind::StreamError, "the process tap has no UID"))?;
        tap.aggregate = aggregate(&uid)?;
        let nominal = read::<f64, ()>(
            tap.aggregate,
            kAudioDevicePropertyNominalSampleRate,
            None,
            None,
            0.0,
        )
        .unwrap_or(0.0);
        let rate = if (1_000.0..=384_000.0).contains(&nominal) {
            nominal
        } else {
            format.mSampleRate
        };
        tap.rate = rate.round() as u32;
        Ok(tap)
    }

    /// Registers the IO proc with `convert` and starts the device.
    ///
    /// # Errors
    /// [`ErrorKind::StreamError`] naming the call and its OSStatus (the guard cleans up).
    pub fn start(&mut self, convert: TapRing) -> Result<(), Error> {
        self.io_state = Box::into_raw(Box::new(IoState::new(convert)));
        let mut proc_id: AudioDeviceIOProcID = None;
        // SAFETY: `io_proc` matches AudioDeviceIOProc; its client data lives until `drop`
        // destroyed the registration; `proc_id` is writable.
        let status = unsafe {
            AudioDeviceCreateIOProcID(
                self.aggregate,
                Some(io_proc),
                self.io_state.cast(),
                NonNull::from(&mut proc_id),
            )
        };
        if status != 0 {
            return Err(failed(
                "AudioDeviceCreateIOProcID on the tap's aggregate device",
                status,
            ));
        }
        self.io_proc = proc_id;
        // SAFETY: a registered IO proc of this device.
        let status = unsafe { AudioDeviceStart(self.aggregate, self.io_proc) };
        if status != 0 {
            return Err(failed(
                "AudioDeviceStart on the tap's aggregate device",
                status,
            ));
        }
        self.started = true;
        Ok(())
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        // Statuses are not checked: nothing is left to do about a failed teardown.
        if self.started {
            // SAFETY: the device and proc this guard started.
            unsafe { AudioDeviceStop(self.aggregate, self.io_proc) };
        }
        if self.io_proc.is_some() {
            // SAFETY: the proc this guard registered; after this Core Audio calls it no more.
            unsafe { AudioDeviceDestroyIOProcID(self.aggregate, self.io_proc) };
        }
        if !self.io_state.is_null() {
            // SAFETY: from `Box::into_raw` in `start`; the IO proc is gone (above) or was never
            // registered, so nothing else holds the pointer.
            drop(unsafe { Box::from_raw(self.io_state) });
        }
        if self.aggregate != 0 {
            // SAFETY: the aggregate device this guard created.
            unsafe { AudioHardwareDestroyAggregateDevice(self.aggregate) };
        }
        // SAFETY: the tap this guard created, destroyed once.
        unsafe { (self.destroy_tap)(self.tap) };
    }
}
