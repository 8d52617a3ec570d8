//! `listApplications()` on Windows: the audio sessions of every active render endpoint
//! (`IAudioSessionManager2` → `IAudioSessionEnumerator` → `IAudioSessionControl2`), grouped by
//! process. An application capture's `{ name }` selects among these.
//!
//! What is listed: every live process with a session that has not expired, whether it plays now
//! or not. `streams` counts its sessions that play now (`AudioSessionStateActive`), summed over
//! the endpoints; 0 means it has a session but plays nothing at the moment (paused: a process
//! loopback capture still records it from the moment it plays). The system sounds session and
//! sessions of process 0 are left out, and so are expired sessions (their process exited, its
//! pid may be another's now). `name` is the session's display name, or the executable's stem
//! when it has none (most applications set none); `binary` is the executable's file name.
//!
//! Threads: the JS thread (COM initialised as cpal does there: single-threaded apartment, or
//! whatever the thread already has).

use windows::core::Interface;
use windows::Win32::Foundation::{E_NOTIMPL, S_OK};
use windows::Win32::Media::Audio::{
    eRender, AudioSessionStateActive, AudioSessionStateExpired, IAudioSessionControl2,
    IAudioSessionManager2, DEVICE_STATE_ACTIVE,
};
use windows::Win32::System::Com::{CoTaskMemFree, CLSCTX_ALL};

use super::app_config::AppInfo;
use super::endpoint_watch::device_enumerator;
use super::wasapi_activate::named;
use super::wasapi_process::{binary, open, Opened};
use super::wasapi_tree::stem;
use crate::error::{Error, ErrorKind};

/// One session: its process and whether it plays now.
struct Session {
    pid: u32,
    active: bool,
    display: String,
}

/// The applications with an audio session now, one entry per process, sorted by pid.
///
/// # Errors
/// [`ErrorKind::HostUnavailable`] when COM or the endpoint list cannot be had;
/// [`ErrorKind::UnsupportedConfig`] when the audio stack does not enumerate sessions (Wine 8:
/// `IAudioSessionManager2::GetSessionEnumerator` is not implemented).
pub fn list() -> Result<Vec<AppInfo>, Error> {
    let mut apps: Vec<AppInfo> = Vec::new();
    for s in sessions()? {
        if let Some(a) = apps.iter_mut().find(|a| a.pid == s.pid) {
            a.streams += u32::from(s.active);
            continue;
        }
        let bin = match open(s.pid) {
            Opened::Missing => continue,
            _ => binary(s.pid).unwrap_or_default(),
        };
        // Display names may be resource references ("@%SystemRoot%\…,-1234"): not a name.
        let name = if s.display.is_empty() || s.display.starts_with('@') {
            stem(&bin).to_string()
        } else {
            s.display
        };
        apps.push(AppInfo {
            pid: s.pid,
            name,
            binary: bin,
            host: "wasapi".into(),
            streams: u32::from(s.active),
        });
    }
    apps.sort_by_key(|a| a.pid);
    Ok(apps)
}

/// A failed call, named; the HRESULT is also the error's `cause`.
fn failed(kind: ErrorKind, what: &str, e: windows::core::Error) -> Error {
    Error::new(
        kind,
        format!(
            "cannot list the applications' audio sessions: {what} failed: {}",
            named(&e)
        ),
    )
    .with_cause(named(&e))
}

/// Every session of every active render endpoint (process 0 and system sounds left out).
fn sessions() -> Result<Vec<Session>, Error> {
    let host = |what: &str, e| failed(ErrorKind::HostUnavailable, what, e);
    let mut out = Vec::new();
    let enumerator = device_enumerator().map_err(|(what, e)| host(what, e))?;
    // SAFETY: plain COM calls with valid arguments, on the enumerator just made.
    unsafe {
        let devices = enumerator
            .EnumAudioEndpoints(eRender, DEVICE_STATE_ACTIVE)
            .map_err(|e| host("EnumAudioEndpoints", e))?;
        let count = devices.GetCount().map_err(|e| host("GetCount", e))?;
        for i in 0..count {
            let Ok(device) = devices.Item(i) else {
                continue;
            };
            let manager: IAudioSessionManager2 = device
                .Activate(CLSCTX_ALL, None)
                .map_err(|e| host("IMMDevice::Activate(IAudioSessionManager2)", e))?;
            let list = manager.GetSessionEnumerator().map_err(|e| {
                let mut err = failed(
                    ErrorKind::UnsupportedConfig,
                    "IAudioSessionManager2::GetSessionEnumerator",
                    e.clone(),
                );
                if e.code() == E_NOTIMPL {
                    err.message +=
                        " (this audio stack does not enumerate sessions: Wine 8.0 does not)";
                }
                err
            })?;
            let n = list.GetCount().unwrap_or(0);
            for j in 0..n {
                let Ok(control) = list.GetSession(j) else {
                    continue;
                };
                let Ok(control) = control.cast::<IAudioSessionControl2>() else {
                    continue;
                };
                if let Some(s) = session(&control) {
                    out.push(s);
                }
            }
        }
    }
    Ok(out)
}

/// One session's process, state and display name; `None` for system sounds, process 0, an
/// expired session or one that cannot be read.
///
/// # Safety
/// `control` is a live session control of this thread's apartment.
unsafe fn session(control: &IAudioSessionControl2) -> Option<Session> {
    // SAFETY: plain COM calls on a live interface; GetDisplayName's string is the caller's to
    // free with CoTaskMemFree, done here once it is copied.
    unsafe {
        if control.IsSystemSoundsSession() == S_OK {
            return None;
        }
        let pid = control.GetProcessId().ok().filter(|p| *p != 0)?;
        let state = control.GetState().ok()?;
        if state == AudioSessionStateExpired {
            return None;
        }
        let display = match control.GetDisplayName() {
            Ok(p) if !p.is_null() => {
                let s = p.to_string().unwrap_or_default();
                CoTaskMemFree(Some(p.0 as *const _));
                s
            }
            _ => String::new(),
        };
        Some(Session {
            pid,
            active: state == AudioSessionStateActive,
            display,
        })
    }
}
