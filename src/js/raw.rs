//! Thin wrappers over the few raw Node-API calls napi-rs does not expose the way pcmtap needs:
//! external Buffers whose refusal (Electron's V8 memory cage, status 22) must be *seen* rather
//! than silently turned into a copy, ArrayBuffer detach, and typed-array introspection.
//!
//! Threads: JS thread only (every function takes the `napi_env` of the current call).

use std::ffi::c_void;
use std::ptr;

use napi::sys;

/// `napi_no_external_buffers_allowed`: the runtime refuses external Buffers (Electron 21+).
pub const NO_EXTERNAL_BUFFERS: sys::napi_status = sys::Status::napi_no_external_buffers_allowed;

/// What `napi_get_typedarray_info` says of a typed array: element type, element count, data
/// pointer and ArrayBuffer. `None` for anything that is not a typed array.
struct TypedArrayInfo {
    ty: sys::napi_typedarray_type,
    len: usize,
    data: *mut c_void,
    array_buffer: sys::napi_value,
}

fn typed_array_info(env: sys::napi_env, value: sys::napi_value) -> Option<TypedArrayInfo> {
    let mut is_ta = false;
    // SAFETY: env and value come from the current napi call; out-pointers are valid locals.
    if unsafe { sys::napi_is_typedarray(env, value, &mut is_ta) } != sys::Status::napi_ok || !is_ta
    {
        return None;
    }
    let mut info = TypedArrayInfo {
        ty: 0,
        len: 0,
        data: ptr::null_mut(),
        array_buffer: ptr::null_mut(),
    };
    let mut off = 0usize;
    // SAFETY: value is a typed array (checked above); out-pointers are valid locals.
    let st = unsafe {
        sys::napi_get_typedarray_info(
            env,
            value,
            &mut info.ty,
            &mut info.len,
            &mut info.data,
            &mut info.array_buffer,
            &mut off,
        )
    };
    (st == sys::Status::napi_ok && !info.array_buffer.is_null()).then_some(info)
}

/// The ArrayBuffer behind a `DataView`, or `None` for anything that is not one.
fn dataview_array_buffer(env: sys::napi_env, value: sys::napi_value) -> Option<sys::napi_value> {
    let mut is_dv = false;
    // SAFETY: env and value come from the current napi call; out-pointers are valid locals.
    if unsafe { sys::napi_is_dataview(env, value, &mut is_dv) } != sys::Status::napi_ok || !is_dv {
        return None;
    }
    let mut len = 0usize;
    let mut data: *mut c_void = ptr::null_mut();
    let mut ab: sys::napi_value = ptr::null_mut();
    let mut off = 0usize;
    // SAFETY: value is a DataView (checked above); out-pointers are valid locals.
    let st =
        unsafe { sys::napi_get_dataview_info(env, value, &mut len, &mut data, &mut ab, &mut off) };
    (st == sys::Status::napi_ok && !ab.is_null()).then_some(ab)
}

/// The ArrayBuffer behind an `ArrayBufferView` (a typed array, a Buffer, a `DataView`), with
/// the data pointer and byte length of the *whole* ArrayBuffer. `None` for anything else.
pub fn backing_array_buffer(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Option<(sys::napi_value, *mut u8, usize)> {
    let ab = match typed_array_info(env, value) {
        Some(info) => info.array_buffer,
        None => dataview_array_buffer(env, value)?,
    };
    let mut ab_data: *mut c_void = ptr::null_mut();
    let mut ab_len = 0usize;
    // SAFETY: ab is the typed array's ArrayBuffer returned just above.
    if unsafe { sys::napi_get_arraybuffer_info(env, ab, &mut ab_data, &mut ab_len) }
        != sys::Status::napi_ok
    {
        return None;
    }
    Some((ab, ab_data.cast(), ab_len))
}

/// The elements of a `Float64Array` as a mutable slice, or `None` if `value` is not one.
///
/// # Safety
/// The slice aliases JS memory: the caller must not keep it past the current napi call nor run
/// JS while holding it.
pub unsafe fn f64_slice<'a>(env: sys::napi_env, value: sys::napi_value) -> Option<&'a mut [f64]> {
    let TypedArrayInfo { ty, len, data, .. } = typed_array_info(env, value)?;
    if ty != sys::TypedarrayType::float64_array || data.is_null() {
        return None;
    }
    // SAFETY: a live Float64Array of `len` elements starts at `data` (aligned by V8).
    Some(unsafe { std::slice::from_raw_parts_mut(data.cast::<f64>(), len) })
}

/// A new JS array of `len` holes.
pub fn array(env: sys::napi_env, len: usize) -> Result<sys::napi_value, sys::napi_status> {
    let mut out = ptr::null_mut();
    // SAFETY: env comes from the current napi call.
    check(unsafe { sys::napi_create_array_with_length(env, len, &mut out) })?;
    Ok(out)
}

pub fn set_element(
    env: sys::napi_env,
    array: sys::napi_value,
    index: u32,
    value: sys::napi_value,
) -> Result<(), sys::napi_status> {
    // SAFETY: array and value are live values of the current napi call.
    check(unsafe { sys::napi_set_element(env, array, index, value) })
}

/// A Buffer that owns a copy of `bytes`.
pub fn buffer_copy(env: sys::napi_env, bytes: &[u8]) -> Result<sys::napi_value, sys::napi_status> {
    let mut out = ptr::null_mut();
    let mut copy_data: *mut c_void = ptr::null_mut();
    // SAFETY: bytes is a valid slice for the duration of the call; Node copies it.
    check(unsafe {
        sys::napi_create_buffer_copy(
            env,
            bytes.len(),
            bytes.as_ptr().cast(),
            &mut copy_data,
            &mut out,
        )
    })?;
    Ok(out)
}

/// An external Buffer over `len` bytes at `data`. On success Node calls `finalize(env, data,
/// hint)` exactly once, on the JS thread, after the Buffer is collected or detached; on failure
/// it never calls it and the status is returned (see [`NO_EXTERNAL_BUFFERS`]).
///
/// # Safety
/// `data..data+len` must stay valid and unwritten until `finalize` runs.
pub unsafe fn external_buffer(
    env: sys::napi_env,
    data: *mut u8,
    len: usize,
    finalize: unsafe extern "C" fn(sys::napi_env, *mut c_void, *mut c_void),
    hint: *mut c_void,
) -> Result<sys::napi_value, sys::napi_status> {
    let mut out = ptr::null_mut();
    // SAFETY: the caller guarantees the memory outlives the Buffer (see the function docs).
    check(unsafe {
        sys::napi_create_external_buffer(env, len, data.cast(), Some(finalize), hint, &mut out)
    })?;
    Ok(out)
}

/// Detaches an ArrayBuffer: every view over it becomes length 0 and its finalizer is scheduled.
pub fn detach(env: sys::napi_env, array_buffer: sys::napi_value) -> bool {
    // SAFETY: array_buffer is a live ArrayBuffer of the current napi call.
    unsafe { sys::napi_detach_arraybuffer(env, array_buffer) == sys::Status::napi_ok }
}

/// Tells V8 that `delta` bytes of native memory were allocated (> 0) or freed (< 0), so its GC
/// heuristics account for them. A failure only loses that hint, so it is ignored.
pub fn adjust_external_memory(env: sys::napi_env, delta: i64) {
    let mut total = 0i64;
    // SAFETY: env comes from the current napi call (or finalizer); `total` is a valid local.
    let _ = unsafe { sys::napi_adjust_external_memory(env, delta, &mut total) };
}

fn check(status: sys::napi_status) -> Result<(), sys::napi_status> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(status)
    }
}
