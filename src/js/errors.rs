//! The one mapping from core errors to JS errors. The reason carries the stable code in
//! brackets (`[CAPTURE_CLOSED] …`); `lib/errors.js` moves it into `err.code`, in one place.
//!
//! Threads: JS thread.

use napi::{Error, Status};

use crate::error::{Error as CoreError, ErrorKind};

/// The stable `err.code` of a core error kind.
pub fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ThreadSpawn => "THREAD_SPAWN_FAILED",
        ErrorKind::Closed => "CAPTURE_CLOSED",
        ErrorKind::DeviceNotFound => "DEVICE_NOT_FOUND",
        ErrorKind::DeviceAmbiguous => "DEVICE_AMBIGUOUS",
        ErrorKind::HostUnavailable => "HOST_UNAVAILABLE",
        ErrorKind::UnsupportedConfig => "UNSUPPORTED_CONFIG",
        ErrorKind::DeviceBusy => "DEVICE_BUSY",
        ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        ErrorKind::DeviceLost => "DEVICE_LOST",
        ErrorKind::StreamError => "STREAM_ERROR",
        ErrorKind::OutOfMemory => "OUT_OF_MEMORY",
        ErrorKind::AppNotFound => "APPLICATION_NOT_FOUND",
        ErrorKind::AppExited => "APPLICATION_EXITED",
    }
}

/// `[CODE] message`, then `\n[cause] <cause>` when the error has one (`lib/errors.js` makes it
/// `err.cause`).
pub fn to_js(e: CoreError) -> Error {
    let cause = e
        .cause
        .map(|c| format!("\n{CAUSE_MARK}{c}"))
        .unwrap_or_default();
    Error::new(
        Status::GenericFailure,
        format!("[{}] {}{cause}", code(e.kind), e.message),
    )
}

/// What separates the message from the cause in a native error's reason.
const CAUSE_MARK: &str = "[cause] ";

/// An invalid argument that slipped past the JS validation.
pub fn invalid_arg(message: String) -> Error {
    Error::new(
        Status::InvalidArg,
        format!("[ERR_INVALID_ARG_VALUE] {message}"),
    )
}

pub fn closed() -> Error {
    to_js(CoreError::new(ErrorKind::Closed, "the capture is closed"))
}
