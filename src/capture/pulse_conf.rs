//! libpulse's client configuration for the ALSA `pulse` plugin's connections in this process:
//! shared memory off, everything else as libpulse alone would read it.
//!
//! Why: when the server dies while the plugin holds a partly read fragment of a shared block,
//! libpulse's thread waits for the block to be released while holding the lock the plugin needs
//! to release it: a deadlock that leaks the capture thread, its fds and its pool (measured:
//! libpulse 16.1, alsa-plugins 1.2.7.1). What it costs: on a PulseAudio server, audio over the
//! socket costs libpulse's thread ~0.5 % of a core more at 48 kHz stereo (`bench/cpu.js --full`,
//! row "pcmtap, shared memory kept"); pipewire-pulse does not use client shared memory at all.
//!
//! How: the plugin's libpulse reads its configuration when it creates a context, from the file
//! `PULSE_CLIENTCONFIG` names, else from the files `pulse_reads.rs` lists. pcmtap points that
//! variable at a configuration of its own that `.include`s exactly those files, in libpulse's
//! order (so a `default-server` or `cookie-file` set there still applies), and says
//! `enable-shm = no`. It lives where no other user can change it (`pulse_store.rs`: a sealed
//! memfd, else a private file); when neither can be made, the environment is left alone
//! (libpulse's own files, shared memory on) and the setup says so (`stats().pulseConfig`, one
//! `PCMTAP_PULSE_CONFIG` process warning): reading a file another user could plant is the one
//! thing never done. The files are listed once per process (when the first capture through
//! the plugin opens); libpulse itself would look again at each connection.
//!
//! Not done when the user set `PULSE_CLIENTCONFIG` (theirs is used as is) or set
//! `PCMTAP_PULSE_SHM=1` (pcmtap then leaves the environment alone; a server death may then hang
//! the capture thread, see `docs/faults.md`).
//!
//! Threads: JS thread, before the first plugin stream opens. Setting an environment variable
//! races with `getenv` in other threads of the process; it is done once per process, before any
//! libpulse thread of pcmtap exists, which is as early as an addon can.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::pulse_reads::{config_text, libpulse_reads};
use super::pulse_state::{record, PulseConfig, PulseSetup};
use super::pulse_store::{path_open_to_others, store, Stored};

/// The variable that makes pcmtap leave libpulse's configuration alone (`1`).
pub const KEEP_SHM_ENV: &str = "PCMTAP_PULSE_SHM";
const CONFIG_ENV: &str = "PULSE_CLIENTCONFIG";

/// Points `PULSE_CLIENTCONFIG` at pcmtap's configuration (once per process), unless the user
/// configured it or opted out, and records what was done. Later libpulse contexts of the
/// process (and of its child processes, which inherit the variable and the file) read it.
pub fn disable_shm() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let env = |k: &str| std::env::var_os(k);
        let (config, value) = setup(&env);
        if let Some(v) = value {
            std::env::set_var(CONFIG_ENV, v);
        }
        record(config);
    });
}

/// What to do given the environment `env`: the setup, and the value for `PULSE_CLIENTCONFIG`.
fn setup(env: &dyn Fn(&str) -> Option<OsString>) -> (PulseConfig, Option<OsString>) {
    let config = |setup, reason, not_included| PulseConfig {
        setup,
        reason,
        not_included,
        open_to_others: Vec::new(),
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if let Some(mine) = env(CONFIG_ENV) {
        let mut c = config(PulseSetup::User, None, Vec::new());
        let mine = PathBuf::from(mine);
        if mine.is_absolute() && path_open_to_others(&mine, euid) {
            c.open_to_others.push(mine);
        }
        return (c, None);
    }
    if env(KEEP_SHM_ENV).is_some_and(|v| v == "1") {
        return (config(PulseSetup::OptedOut, None, Vec::new()), None);
    }
    let cwd = std::env::current_dir().ok();
    let reads = libpulse_reads(env, cwd.as_deref());
    let (text, left_out) = config_text(&reads);
    let (mut config, value) = match store(&text) {
        Ok(Stored::Memfd(p)) => (
            config(PulseSetup::Memfd, None, left_out),
            Some(p.into_os_string()),
        ),
        Ok(Stored::File(p)) => (
            config(PulseSetup::File, None, left_out),
            Some(p.into_os_string()),
        ),
        // libpulse's own files are read then, the left-out ones included.
        Err(why) => (config(PulseSetup::Unavailable, Some(why), Vec::new()), None),
    };
    let dot_d_dir = reads.main.as_ref().map(|m| {
        let mut d = m.clone().into_os_string();
        d.push(".d");
        PathBuf::from(d)
    });
    config.open_to_others = (reads.main.iter().chain(&dot_d_dir).chain(&reads.dot_d))
        .filter(|p| path_open_to_others(p, euid))
        .cloned()
        .collect();
    (config, value)
}

#[cfg(test)]
#[path = "pulse_conf_tests.rs"]
mod tests;
