//! libpulse's client configuration for the ALSA `pulse` plugin's connections in this process:
//! shared memory off, everything else as the user configured it.
//!
//! Why: when the server dies while the plugin holds a partly read fragment of a shared block,
//! libpulse's thread waits for the block to be released while holding the lock the plugin needs
//! to release it: a deadlock that leaks the capture thread, its fds and its pool (measured:
//! libpulse 16.1, alsa-plugins 1.2.7.1). What it costs: on a PulseAudio server, audio over the
//! socket costs libpulse's thread ~0.5 % of a core more at 48 kHz stereo (`bench/cpu.js --full`,
//! row "pcmtap, shared memory kept"); pipewire-pulse does not use client shared memory at all.
//!
//! How: the plugin's libpulse reads its configuration when it creates a context, from the file
//! `PULSE_CLIENTCONFIG` names, else from the user's or the system's `client.conf`. pcmtap points
//! that variable at a file of its own that `.include`s the user's configuration (so a
//! `default-server` or `cookie-file` set there still applies) and then says `enable-shm = no`.
//! The file lives in a directory only this user can write (`$XDG_RUNTIME_DIR/pcmtap`, else
//! `<tmp>/pcmtap-<uid>`), is named after its content and written once (never one per process).
//!
//! Not done when the user set `PULSE_CLIENTCONFIG` (theirs is used as is) or set
//! `PCMTAP_PULSE_SHM=1` (pcmtap then leaves the environment alone; a server death may then hang
//! the capture thread, see `docs/faults.md`).
//!
//! Threads: JS thread, before the first plugin stream opens. Setting an environment variable
//! races with `getenv` in other threads of the process; it is done once per process, before any
//! libpulse thread of pcmtap exists, which is as early as an addon can.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The variable that makes pcmtap leave libpulse's configuration alone (`1`).
pub const KEEP_SHM_ENV: &str = "PCMTAP_PULSE_SHM";
const CONFIG_ENV: &str = "PULSE_CLIENTCONFIG";

/// Points `PULSE_CLIENTCONFIG` at pcmtap's configuration (once per process), unless the user
/// configured it or opted out. Later libpulse contexts of the process read it.
pub fn disable_shm() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let env = |k: &str| std::env::var_os(k);
        if env(CONFIG_ENV).is_some() || env(KEEP_SHM_ENV).is_some_and(|v| v == "1") {
            return;
        }
        let text = config_text(&user_config(&env));
        if let Some(path) = private_dir().and_then(|d| write_once(&d, &text)) {
            std::env::set_var(CONFIG_ENV, path);
        }
    });
}

/// The `client.conf` libpulse reads when `PULSE_CLIENTCONFIG` is unset: the user's
/// (`$XDG_CONFIG_HOME/pulse`, else `~/.config/pulse`), else the system's.
fn user_config(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let config_home = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
    let user = config_home.map(|d| d.join("pulse/client.conf"));
    user.into_iter()
        .chain([PathBuf::from("/etc/pulse/client.conf")])
        .find(|p| p.is_file())
}

/// pcmtap's configuration: the user's files as libpulse would read them (the file's `.d`
/// directory, then the file), then shared memory off.
fn config_text(user: &Option<PathBuf>) -> String {
    let mut text = String::from("# Written by pcmtap (src/capture/pulse_conf.rs).\n");
    if let Some(file) = user {
        let mut dot_d: Vec<PathBuf> = fs::read_dir(format!("{}.d", file.display()))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf") && p.is_file())
            .collect();
        dot_d.sort();
        for p in dot_d.iter().chain([file]) {
            text.push_str(&format!(".include {}\n", p.display()));
        }
    }
    text.push_str("enable-shm = no\n");
    text
}

/// A directory only this user can write, created if needed.
fn private_dir() -> Option<PathBuf> {
    let uid = fs::metadata("/proc/self").ok()?.uid();
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("pcmtap"));
    let tmp = std::env::temp_dir().join(format!("pcmtap-{uid}"));
    runtime
        .into_iter()
        .chain([tmp])
        .find(|d| ensure_private(d, uid))
}

fn ensure_private(dir: &Path, uid: u32) -> bool {
    if fs::symlink_metadata(dir).is_err() {
        let _ = fs::DirBuilder::new().mode(0o700).create(dir);
    }
    // Not a symlink, ours, and nobody else may write (or read) it.
    fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && m.uid() == uid && m.mode() & 0o077 == 0)
}

/// `dir/client-<hash>.conf` holding `text`: reused when already there, else written to a
/// temporary name and renamed (another process may be doing the same).
fn write_once(dir: &Path, text: &str) -> Option<PathBuf> {
    let path = dir.join(format!("client-{:016x}.conf", fnv1a(text.as_bytes())));
    if fs::read_to_string(&path).is_ok_and(|t| t == text) {
        return Some(path);
    }
    let tmp = dir.join(format!(".client-{}.tmp", std::process::id()));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .ok()?;
    let written = f.write_all(text.as_bytes()).is_ok() && fs::rename(&tmp, &path).is_ok();
    if !written {
        let _ = fs::remove_file(&tmp);
    }
    written.then_some(path)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[path = "pulse_conf_tests.rs"]
mod tests;
