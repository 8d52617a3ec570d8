//! The one error type of the napi-free core. The binding maps each [`ErrorKind`] to a stable
//! JS `err.code` in exactly one place (`js/errors.rs`).

use std::fmt;

/// What went wrong. New kinds may be added (devices arrive with the capture module).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The OS refused to start a capture thread. Retrying may help once resources free up.
    ThreadSpawn,
    /// The capture was closed; it cannot be used again. Retrying does not help.
    Closed,
    /// No device matches the request (the message lists what is available).
    DeviceNotFound,
    /// A device name matched several devices (the message lists them).
    DeviceAmbiguous,
    /// The requested host is not compiled in or not available on this machine.
    HostUnavailable,
    /// The device cannot capture in any config we can convert from.
    UnsupportedConfig,
    /// The device is in use by another application. Retrying later may help.
    DeviceBusy,
    /// The OS or sound server denied access to the device.
    PermissionDenied,
    /// The device went away during capture (unplugged, server gone, stream invalidated).
    DeviceLost,
    /// Any other failure of the host while opening or running the stream.
    StreamError,
    /// No application matches an application capture's selection (the message lists those
    /// playing). Only the server path raises it (elsewhere application capture is refused).
    #[cfg_attr(not(server_path), allow(dead_code))]
    AppNotFound,
    /// The application an application capture follows exited (server path only).
    #[cfg_attr(not(server_path), allow(dead_code))]
    AppExited,
    /// The pool's memory could not be allocated. Retrying with a smaller `poolSize`, or after
    /// other captures closed, may help.
    OutOfMemory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// What the layer below said, when it said more than the message carries (libasound's
    /// messages when an ALSA device does not open: `capture/alsa_log.rs`). JS: `err.cause`.
    pub cause: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    /// The same error with `cause` as what the layer below said.
    #[cfg_attr(not(server_path), allow(dead_code))]
    pub fn with_cause(self, cause: impl Into<String>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..self
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
