//! What pcmtap did about libpulse's client configuration in this process (see `pulse_conf.rs`),
//! for `stats().pulseConfig` and the one `PCMTAP_PULSE_CONFIG` process warning. Plain data, on
//! every platform (only the Linux/BSD build ever records one).
//!
//! Threads: recorded once on the thread that opened the first capture through the ALSA `pulse`
//! plugin (the JS thread), read from the JS thread.

use std::path::PathBuf;
use std::sync::OnceLock;

/// How the ALSA `pulse` plugin's libpulse is configured in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PulseSetup {
    /// Shared memory off, through a sealed in-memory file (`PULSE_CLIENTCONFIG=/proc/self/fd/N`).
    Memfd,
    /// Shared memory off, through a file in a directory only this user (and root) can change:
    /// no memfd or no `/proc` here.
    File,
    /// The user set `PULSE_CLIENTCONFIG`: used as is.
    User,
    /// `PCMTAP_PULSE_SHM=1`: environment left alone, shared memory on.
    OptedOut,
    /// No safe place for pcmtap's configuration: environment left alone, so libpulse reads its
    /// own files and shared memory stays on (a server death can then hang the capture thread).
    Unavailable,
}

impl PulseSetup {
    /// The name `stats().pulseConfig.setup` reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memfd => "memfd",
            Self::File => "file",
            Self::User => "user",
            Self::OptedOut => "opted-out",
            Self::Unavailable => "unavailable",
        }
    }
}

/// The process's libpulse configuration as pcmtap left it.
#[derive(Clone, Debug)]
pub struct PulseConfig {
    pub setup: PulseSetup,
    /// Why the safe setup could not be made (`Unavailable` only).
    pub reason: Option<String>,
    /// Files libpulse would read that no line of a libpulse configuration can name (a newline,
    /// `#` or `;` in the path, whitespace at its end, longer than a line): their settings do not
    /// apply to pcmtap's connections.
    pub not_included: Vec<PathBuf>,
    /// Files libpulse reads (and pcmtap's configuration includes, as libpulse would), or the
    /// user's `PULSE_CLIENTCONFIG`, that another user can create, replace or write: that user steers libpulse's connections, with
    /// pcmtap or without it (root with a user's `HOME` after `sudo -E`).
    pub open_to_others: Vec<PathBuf>,
}

/// The code of the process warning.
pub const WARNING_CODE: &str = "PCMTAP_PULSE_CONFIG";

impl PulseConfig {
    /// The process warning this setup deserves, if any.
    pub fn warning(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.setup == PulseSetup::Unavailable {
            parts.push(format!(
                "pcmtap could not make a private libpulse configuration ({}): libpulse's shared \
                 memory stays on for the ALSA pulse plugin, so a sound server death can hang the \
                 capture thread (host 'pulseaudio' does not use libpulse)",
                self.reason.as_deref().unwrap_or("no reason given")
            ));
        }
        if !self.not_included.is_empty() {
            parts.push(format!(
                "libpulse reads {}, which no libpulse configuration line can name (newline, '#', \
                 ';' or trailing whitespace in the path, or too long): its settings do not apply \
                 to pcmtap's captures through the ALSA pulse plugin",
                quoted(&self.not_included)
            ));
        }
        if !self.open_to_others.is_empty() {
            parts.push(format!(
                "libpulse reads {}, which another user can change (it, or a directory on its \
                 path, is theirs or writable by them): that user chooses the server and the \
                 cookie file libpulse opens, with pcmtap as without it",
                quoted(&self.open_to_others)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

fn quoted(paths: &[PathBuf]) -> String {
    let list: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    list.join(", ")
}

static STATE: OnceLock<PulseConfig> = OnceLock::new();

/// What pcmtap did, once the first capture through the ALSA `pulse` plugin was opened.
pub fn pulse_config() -> Option<&'static PulseConfig> {
    STATE.get()
}

/// Records the setup (the first record of the process wins; there is only one).
pub(super) fn record(config: PulseConfig) {
    let _ = STATE.set(config);
}
