//! The one error of a machine with no sound card and no sound server (a fresh container, a
//! headless CI runner, a VM without an audio device): what a default capture gets there, naming
//! what was tried, instead of "'alsa:default' is listed but does not open".
//!
//! Without a card, ALSA's `default` PCM opens only where the user's configuration makes it
//! something that needs none (a `null`, `file` or network plugin), so `linux.rs` lists it as the
//! default only when it opens there ([`no_cards`] says when to ask), and `resolve.rs` raises
//! [`error`] when a default capture finds no default. libasound's own messages become the
//! error's `cause` (`alsa_log.rs`).
//!
//! Threads: the JS thread, or the reconnect thread.

use std::ffi::c_int;

use super::pulse_addr::{self, Addr};
use crate::error::{Error, ErrorKind};

// libasound is linked already (cpal -> alsa -> alsa-sys).
extern "C" {
    fn snd_card_next(card: *mut c_int) -> c_int;
}

/// Whether ALSA finds no sound card (`snd_card_next` from -1: none, or an error).
pub fn no_cards() -> bool {
    let mut card: c_int = -1;
    // SAFETY: `card` is a valid, writable int; snd_card_next only reads and writes it (it looks
    // for /dev/snd/controlC<n> and prints nothing).
    let rc = unsafe { snd_card_next(&mut card) };
    rc < 0 || card < 0
}

/// Where a client looks for a PulseAudio or PipeWire server: libpulse's addresses (ALSA's
/// `pulse` plugin), then cpal's PulseAudio client's socket, each once.
fn servers_tried() -> Vec<Addr> {
    let env = |k: &str| std::env::var_os(k);
    let mut addrs = pulse_addr::libpulse_servers(&env);
    if let Some(a) = pulse_addr::crate_server(&env) {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    addrs
}

/// `DEVICE_NOT_FOUND`: no sound card and no sound server, with where each was looked for.
pub fn error() -> Error {
    message(&pulse_addr::describe(&servers_tried()))
}

fn message(servers: &str) -> Error {
    Error::new(
        ErrorKind::DeviceNotFound,
        format!(
            "no sound card and no sound server: ALSA finds no sound card (/dev/snd has no \
             controlC<n>), and no PulseAudio or PipeWire server accepts connections at {servers}; \
             start one (pipewire-pulse or pulseaudio), or record pcmtap's synthetic tone \
             (source: 'synthetic')"
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_says_both_and_names_the_sockets() {
        let e = super::message("unix:/run/user/1000/pulse/native or unix:/var/run/pulse/native");
        assert_eq!(e.kind, crate::error::ErrorKind::DeviceNotFound);
        assert!(e.message.starts_with("no sound card and no sound server: "));
        assert!(e
            .message
            .contains("at unix:/run/user/1000/pulse/native or unix:/var/run/pulse/native;"));
    }
}
