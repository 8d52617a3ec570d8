//! The processes Core Audio knows on macOS 14.2+ (its process objects,
//! `kAudioHardwarePropertyProcessObjectList`), as `listApplications()` shows them and an
//! application capture selects them (`coreaudio_app.rs`).
//!
//! A process has a process object once it has used Core Audio; `listApplications()` lists those
//! playing output now (`kAudioProcessPropertyIsRunningOutput`). Names: the bundle id's last
//! component (`com.apple.Music` -> `Music`), else the executable's file name
//! (`proc_pidpath`, else `proc_name`).
//!
//! Threads: the JS thread (`listApplications()`, a capture's start) and the control thread of an
//! application capture ([`alive`]).

use objc2_core_audio::{
    kAudioHardwarePropertyProcessObjectList, kAudioHardwarePropertyTranslatePIDToProcessObject,
    kAudioHardwareUnknownPropertyError, kAudioObjectPropertyScopeOutput, kAudioObjectSystemObject,
    kAudioProcessPropertyBundleID, kAudioProcessPropertyDevices,
    kAudioProcessPropertyIsRunningOutput, kAudioProcessPropertyPID, AudioObjectID,
};

use super::app_config::{AppInfo, AppSelect};
use super::coreaudio_props::{
    describe_status, read, read_ids, read_string, tap_functions, NEEDS_14_2,
};
use crate::error::{Error, ErrorKind};

/// One process object.
#[derive(Clone, Debug)]
pub struct Process {
    pub object: AudioObjectID,
    pub pid: u32,
    pub bundle: String,
    pub name: String,
    pub binary: String,
    /// Playing output now.
    pub playing: bool,
    /// The output devices it plays to now (0 when unreadable).
    pub devices: u32,
}

/// What a capture taps: these process objects, or everything but them.
#[derive(Clone, Debug)]
pub struct Selection {
    pub objects: Vec<AudioObjectID>,
    pub exclude: bool,
    /// The processes followed (the capture ends when all have exited); none for `exclude`.
    pub pids: Vec<u32>,
    pub label: String,
}

fn system() -> AudioObjectID {
    kAudioObjectSystemObject as AudioObjectID
}

/// Every process object now.
///
/// # Errors
/// [`ErrorKind::UnsupportedConfig`] before macOS 14.2; [`ErrorKind::HostUnavailable`] when Core
/// Audio does not answer.
pub fn processes() -> Result<Vec<Process>, Error> {
    if tap_functions().is_none() {
        return Err(Error::new(ErrorKind::UnsupportedConfig, NEEDS_14_2));
    }
    let objects =
        read_ids(system(), kAudioHardwarePropertyProcessObjectList, None).map_err(|s| {
            if s == kAudioHardwareUnknownPropertyError {
                Error::new(ErrorKind::UnsupportedConfig, NEEDS_14_2)
            } else {
                Error::new(
                    ErrorKind::HostUnavailable,
                    format!("cannot list the audio processes: {}", describe_status(s)),
                )
            }
        })?;
    let mut out = Vec::with_capacity(objects.len());
    for object in objects {
        // A process that exited since the list was read answers nothing: skipped.
        let Ok(pid) = read::<i32, ()>(object, kAudioProcessPropertyPID, None, None, -1) else {
            continue;
        };
        let Ok(pid) = u32::try_from(pid) else {
            continue;
        };
        let playing = read::<u32, ()>(object, kAudioProcessPropertyIsRunningOutput, None, None, 0)
            .is_ok_and(|v| v != 0);
        let bundle = read_string(object, kAudioProcessPropertyBundleID)
            .ok()
            .flatten()
            .unwrap_or_default();
        let devices = read_ids(
            object,
            kAudioProcessPropertyDevices,
            Some(kAudioObjectPropertyScopeOutput),
        )
        .map_or(0, |d| d.len() as u32);
        let binary = executable(pid);
        let name = match bundle.rsplit('.').next() {
            Some(last) if !last.is_empty() => last.to_string(),
            _ => binary.clone(),
        };
        out.push(Process {
            object,
            pid,
            bundle,
            name,
            binary,
            playing,
            devices,
        });
    }
    Ok(out)
}

/// The applications playing now, by pid; `streams` is the count of output devices each plays to
/// (`kAudioProcessPropertyDevices`), at least 1.
pub fn list_apps() -> Result<Vec<AppInfo>, Error> {
    let mut apps: Vec<AppInfo> = processes()?
        .into_iter()
        .filter(|p| p.playing)
        .map(|p| AppInfo {
            pid: p.pid,
            name: p.name,
            binary: p.binary,
            host: "coreaudio".into(),
            streams: p.devices.max(1),
        })
        .collect();
    apps.sort_by_key(|a| a.pid);
    Ok(apps)
}

/// The executable's file name (`proc_pidpath`), else its short name (`proc_name`), else "".
fn executable(pid: u32) -> String {
    let mut buf = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE as usize];
    // SAFETY: `buf` is `buf.len()` writable bytes; the call writes at most that many.
    let n = unsafe { libc::proc_pidpath(pid as i32, buf.as_mut_ptr().cast(), buf.len() as u32) };
    if n > 0 {
        let path = String::from_utf8_lossy(&buf[..n as usize]).into_owned();
        if let Some(file) = path.rsplit('/').next().filter(|f| !f.is_empty()) {
            return file.to_string();
        }
    }
    // SAFETY: as above.
    let n = unsafe { libc::proc_name(pid as i32, buf.as_mut_ptr().cast(), buf.len() as u32) };
    if n > 0 {
        return String::from_utf8_lossy(&buf[..n as usize]).into_owned();
    }
    String::new()
}

/// Whether process `pid` still runs: `kill(pid, 0)` fails with `ESRCH` once it is gone, and a
/// process that exited but that its parent has not reaped yet (`SZOMB`) counts as exited.
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
    }
    // SAFETY: all-zero is a valid `proc_bsdinfo` (integers and byte arrays).
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as i32;
    // SAFETY: `info` is writable for `size` bytes, the size passed; the call writes at most that.
    let n = unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&mut info as *mut libc::proc_bsdinfo).cast(), size) };
    n != size || info.pbi_status != libc::SZOMB
}

/// The process object of `pid`, if it has one.
fn process_object(pid: u32) -> Option<AudioObjectID> {
    let pid = i32::try_from(pid).ok()?;
    read(
        system(),
        kAudioHardwarePropertyTranslatePIDToProcessObject,
        None,
        Some(&pid),
        0u32,
    )
    .ok()
    .filter(|o| *o != 0)
}

/// Resolves a selection at start (nothing is created yet): a pid must be a running process with
/// a process object; a name matches every process object whose bundle id, name or executable is
/// that name (case-insensitive), playing now or not.
///
/// # Errors
/// [`ErrorKind::AppNotFound`] (the message lists what plays now), or as [`processes`].
pub fn resolve(select: &AppSelect) -> Result<Selection, Error> {
    let all = processes()?;
    let playing = || {
        let apps: Vec<String> = all
            .iter()
            .filter(|p| p.playing)
            .map(|p| format!("{} (pid {})", p.name, p.pid))
            .collect();
        if apps.is_empty() {
            "none".to_string()
        } else {
            apps.join(", ")
        }
    };
    let not_found = |m: String| {
        Error::new(
            ErrorKind::AppNotFound,
            format!("{m}; playing now: {}", playing()),
        )
    };
    match select {
        AppSelect::Pid(pid) => {
            if !alive(*pid) {
                return Err(not_found(format!("no process with pid {pid}")));
            }
            let Some(object) = process_object(*pid) else {
                return Err(not_found(format!(
                    "process {pid} has no Core Audio process object (it has not opened audio)"
                )));
            };
            let label = all
                .iter()
                .find(|p| p.object == object)
                .map_or_else(|| format!("pid {pid}"), |p| p.name.clone());
            Ok(Selection {
                objects: vec![object],
                exclude: false,
                pids: vec![*pid],
                label,
            })
        }
        AppSelect::Name(name) => {
            let want = name.to_lowercase();
            let matched: Vec<&Process> = all
                .iter()
                .filter(|p| {
                    [&p.bundle, &p.name, &p.binary]
                        .iter()
                        .any(|s| !s.is_empty() && s.to_lowercase() == want)
                })
                .collect();
            if matched.is_empty() {
                return Err(not_found(format!(
                    "no application named '{name}' uses Core Audio"
                )));
            }
            let mut pids: Vec<u32> = matched.iter().map(|p| p.pid).collect();
            pids.sort_unstable();
            pids.dedup();
            Ok(Selection {
                objects: matched.iter().map(|p| p.object).collect(),
                exclude: false,
                pids,
                label: name.clone(),
            })
        }
        // A pid with no process object plays nothing through Core Audio: nothing to exclude.
        AppSelect::Exclude(pids) => Ok(Selection {
            objects: pids.iter().filter_map(|p| process_object(*p)).collect(),
            exclude: true,
            pids: Vec::new(),
            label: format!(
                "everything but pid {}",
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}
