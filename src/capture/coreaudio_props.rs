//! Reading Core Audio object properties for the process-tap capture (`coreaudio_app.rs`): plain
//! values, lists of object ids and strings, each failure an `OSStatus` that
//! [`describe_status`] turns into words; and the two process-tap functions of macOS 14.2, looked
//! up at run time (`dlsym`) so that the addon still loads on older macOS, where they do not
//! exist (a direct reference would make dyld refuse to load the whole library).
//!
//! Threads: the JS thread (`listApplications()`, a capture's start and stop) and an application
//! capture's control thread; never the IO proc's audio thread.

use std::ffi::{c_void, CStr};
use std::mem::size_of;
use std::ptr::{null, NonNull};

use objc2_core_audio::{
    kAudioObjectPropertyElementMain, kAudioObjectPropertyScopeGlobal, AudioObjectGetPropertyData,
    AudioObjectGetPropertyDataSize, AudioObjectID, AudioObjectPropertyAddress, CATapDescription,
};
use objc2_core_foundation::{CFRetained, CFString};

/// A Core Audio status code (0 is success).
pub type OsStatus = i32;

/// `AudioHardwareCreateProcessTap(CATapDescription *, AudioObjectID *)`, macOS 14.2+.
pub type CreateTapFn =
    unsafe extern "C" fn(*const CATapDescription, *mut AudioObjectID) -> OsStatus;
/// `AudioHardwareDestroyProcessTap(AudioObjectID)`, macOS 14.2+.
pub type DestroyTapFn = unsafe extern "C" fn(AudioObjectID) -> OsStatus;

/// `OSStatus 560947818 ('!obj')`: the number, and its four-character code when printable.
pub fn describe_status(status: OsStatus) -> String {
    let b = status.to_be_bytes();
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        format!("OSStatus {status} ('{}')", String::from_utf8_lossy(&b))
    } else {
        format!("OSStatus {status}")
    }
}

fn address(selector: u32, scope: u32) -> AudioObjectPropertyAddress {
    AudioObjectPropertyAddress {
        mSelector: selector,
        mScope: scope,
        mElement: kAudioObjectPropertyElementMain,
    }
}

/// One fixed-size value of `object` (global scope unless `scope`), with an optional qualifier.
pub fn read<T: Copy, Q>(
    object: AudioObjectID,
    selector: u32,
    scope: Option<u32>,
    qualifier: Option<&Q>,
    mut value: T,
) -> Result<T, OsStatus> {
    let a = address(selector, scope.unwrap_or(kAudioObjectPropertyScopeGlobal));
    let mut size = size_of::<T>() as u32;
    let (q_size, q_ptr) = match qualifier {
        Some(q) => (size_of::<Q>() as u32, (q as *const Q).cast::<c_void>()),
        None => (0, null()),
    };
    // SAFETY: `a` is a valid address; the qualifier (if any) is `q_size` readable bytes; `value`
    // is `size` writable bytes of a `Copy` type for which any bit pattern the property holds is
    // valid (integers, floats, plain C structs, object pointers).
    let status = unsafe {
        AudioObjectGetPropertyData(
            object,
            NonNull::from(&a),
            q_size,
            q_ptr,
            NonNull::from(&mut size),
            NonNull::from(&mut value).cast(),
        )
    };
    match status {
        0 if size as usize == size_of::<T>() => Ok(value),
        // A short answer is not a `T`: Core Audio's "bad property size" ('!siz').
        0 => Err(0x2173697a),
        s => Err(s),
    }
}

/// A list of object ids (`kAudioHardwarePropertyProcessObjectList`, `…ProcessPropertyDevices`).
pub fn read_ids(
    object: AudioObjectID,
    selector: u32,
    scope: Option<u32>,
) -> Result<Vec<AudioObjectID>, OsStatus> {
    let a = address(selector, scope.unwrap_or(kAudioObjectPropertyScopeGlobal));
    let mut size = 0u32;
    // SAFETY: a valid address, no qualifier, `size` writable.
    let status = unsafe {
        AudioObjectGetPropertyDataSize(
            object,
            NonNull::from(&a),
            0,
            null(),
            NonNull::from(&mut size),
        )
    };
    if status != 0 {
        return Err(status);
    }
    let mut ids: Vec<AudioObjectID> = vec![0; size as usize / size_of::<AudioObjectID>()];
    if ids.is_empty() {
        return Ok(ids);
    }
    let mut size = (ids.len() * size_of::<AudioObjectID>()) as u32;
    // SAFETY: `ids` holds `size` writable bytes; the list may have shrunk since (the size comes
    // back smaller and the vector is cut to it).
    let status = unsafe {
        AudioObjectGetPropertyData(
            object,
            NonNull::from(&a),
            0,
            null(),
            NonNull::from(&mut size),
            NonNull::from(&mut ids[..]).cast::<c_void>(),
        )
    };
    if status != 0 {
        return Err(status);
    }
    ids.truncate(size as usize / size_of::<AudioObjectID>());
    Ok(ids)
}

/// A `CFStringRef` property (the caller owns the string Core Audio returns), as a `String`;
/// `Ok(None)` for a null string.
pub fn read_string(object: AudioObjectID, selector: u32) -> Result<Option<String>, OsStatus> {
    let raw: *const CFString = read::<_, ()>(object, selector, None, None, null())?;
    let Some(raw) = NonNull::new(raw.cast_mut()) else {
        return Ok(None);
    };
    // SAFETY: Core Audio hands out a retained CFString (the Create rule of its CFType
    // properties); `from_raw` takes that reference over and releases it on drop.
    let s = unsafe { CFRetained::from_raw(raw) };
    Ok(Some(s.to_string()))
}

/// A symbol of the frameworks loaded in the process, or `None` (an older macOS).
fn symbol(name: &CStr) -> Option<NonNull<c_void>> {
    // SAFETY: `dlsym` with the default handle and a NUL-terminated name only reads them.
    NonNull::new(unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) })
}

/// The process-tap functions, or `None` before macOS 14.2.
pub fn tap_functions() -> Option<(CreateTapFn, DestroyTapFn)> {
    let create = symbol(c"AudioHardwareCreateProcessTap")?;
    let destroy = symbol(c"AudioHardwareDestroyProcessTap")?;
    // SAFETY: these CoreAudio symbols are functions with exactly these C signatures
    // (AudioHardware.h, macOS 14.2 SDK; `objc2-core-audio` declares the same).
    unsafe {
        Some((
            std::mem::transmute::<*mut c_void, CreateTapFn>(create.as_ptr()),
            std::mem::transmute::<*mut c_void, DestroyTapFn>(destroy.as_ptr()),
        ))
    }
}

/// Why there are no process taps here.
pub const NEEDS_14_2: &str =
    "per-application capture on macOS uses Core Audio process taps, which need macOS 14.2 or later";
