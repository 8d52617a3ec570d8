//! What a process tap is made from (for `coreaudio_tap.rs`, whose [`Tap`] guard owns what is
//! made): the tap's description (`CATapDescription`: a private, unmuted stereo mixdown of some
//! processes, or of everything but some), a blank stream format to read the tap's into, and the
//! private tap-only aggregate device the tap is read through (its description and its creation).
//!
//! Threads: the JS thread (from [`Tap::create`]).
//!
//! [`Tap`]: super::coreaudio_tap::Tap
//! [`Tap::create`]: super::coreaudio_tap::Tap::create

use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use objc2::AnyThread;
use objc2_core_audio::{
    kAudioAggregateDeviceIsPrivateKey, kAudioAggregateDeviceIsStackedKey,
    kAudioAggregateDeviceNameKey, kAudioAggregateDeviceTapAutoStartKey,
    kAudioAggregateDeviceTapListKey, kAudioAggregateDeviceUIDKey, kAudioSubTapDriftCompensationKey,
    kAudioSubTapUIDKey, AudioHardwareCreateAggregateDevice, AudioObjectID, CATapDescription,
    CATapMuteBehavior,
};
use objc2_core_audio_types::AudioStreamBasicDescription;
use objc2_core_foundation::{
    CFArray, CFBoolean, CFDictionary, CFNumber, CFRetained, CFString, CFType,
};
use objc2_foundation::{NSArray, NSNumber, NSString};

use super::coreaudio_apps_list::Selection;
use super::coreaudio_tap::failed;
use crate::error::Error;

/// Names each aggregate device of this process apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

fn key(k: &CStr) -> CFRetained<CFString> {
    CFString::from_str(&k.to_string_lossy())
}

/// The tap's description: a private, unmuted stereo mixdown of `sel`.
pub(super) fn describe(sel: &Selection) -> objc2::rc::Retained<CATapDescription> {
    let numbers: Vec<_> = sel.objects.iter().map(|o| NSNumber::new_u32(*o)).collect();
    let list = NSArray::from_retained_slice(&numbers);
    // SAFETY: the class exists (checked by the caller); `list` is an NSArray of NSNumbers
    // holding process object ids, as both initializers take.
    let desc = unsafe {
        if sel.exclude {
            CATapDescription::initStereoGlobalTapButExcludeProcesses(
                CATapDescription::alloc(),
                &list,
            )
        } else {
            CATapDescription::initStereoMixdownOfProcesses(CATapDescription::alloc(), &list)
        }
    };
    // SAFETY: plain property setters of a live description.
    unsafe {
        desc.setName(&NSString::from_str("pcmtap application capture"));
        desc.setPrivate(true);
        desc.setMuteBehavior(CATapMuteBehavior::Unmuted);
    }
    desc
}

pub(super) fn blank_format() -> AudioStreamBasicDescription {
    AudioStreamBasicDescription {
        mSampleRate: 0.0,
        mFormatID: 0,
        mFormatFlags: 0,
        mBytesPerPacket: 0,
        mFramesPerPacket: 0,
        mBytesPerFrame: 0,
        mChannelsPerFrame: 0,
        mBitsPerChannel: 0,
        mReserved: 0,
    }
}

/// A private aggregate device with the tap `tap_uid` as its only member, started with the tap.
pub(super) fn aggregate(tap_uid: &str) -> Result<AudioObjectID, Error> {
    let yes = CFBoolean::new(true);
    let no = CFBoolean::new(false);
    let tap_uid = CFString::from_str(tap_uid);
    let sub_tap = CFDictionary::<CFString, CFType>::from_slices(
        &[
            &*key(kAudioSubTapUIDKey),
            &*key(kAudioSubTapDriftCompensationKey),
        ],
        &[&tap_uid, yes],
    );
    let taps = CFArray::<CFDictionary<CFString, CFType>>::from_retained_objects(&[sub_tap]);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let uid = CFString::from_str(&format!("pcmtap.tap.{}.{n}", std::process::id()));
    let name = CFString::from_str("pcmtap application capture");
    let private = CFNumber::new_i32(1);
    let desc = CFDictionary::<CFString, CFType>::from_slices(
        &[
            &*key(kAudioAggregateDeviceUIDKey),
            &*key(kAudioAggregateDeviceNameKey),
            &*key(kAudioAggregateDeviceIsPrivateKey),
            &*key(kAudioAggregateDeviceIsStackedKey),
            &*key(kAudioAggregateDeviceTapAutoStartKey),
            &*key(kAudioAggregateDeviceTapListKey),
        ],
        &[&uid, &name, &private, no, yes, &taps],
    );
    let mut id: AudioObjectID = 0;
    // SAFETY: a CFDictionary of CFString keys and CF values, as the call takes; `id` writable.
    let status =
        unsafe { AudioHardwareCreateAggregateDevice(desc.as_opaque(), NonNull::from(&mut id)) };
    if status != 0 || id == 0 {
        return Err(failed(
            "AudioHardwareCreateAggregateDevice for the process tap",
            status,
        ));
    }
    Ok(id)
}
