//! The reconnect thread's other job: a capture of the default switches to the new default when
//! the server's default moves (`follow.rs` asks for it): the old stream stopped after its last
//! packet, the new default opened, the switch's gap counted and its first packet flagged,
//! `'devicechange'` queued. Part of `reconnect.rs` (its `Watcher`).
//!
//! Threads: the reconnect thread (`pcmtap-reconnect`).

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::super::devices::DeviceSpec;
use super::super::link::SWITCH;
use super::super::platform;
use super::super::stream::{DeviceConfig, DeviceSource, OpenedDevice, STOP_WAIT};
use super::{by_id, Watcher, CALLBACK_WAIT};
use crate::core::{Counters, DeviceChange};

/// How long the default must stay changed before the capture switches (a server setting its
/// defaults one after the other, or a quick change back, makes one switch or none).
pub(super) const SWITCH_SETTLE: Duration = Duration::from_millis(30);
/// After the device came back (a server restart), the default is followed only once this has
/// passed: a starting server sets its defaults in steps (measured: PipeWire 0.3.65 with
/// wireplumber named its null source the default before the configured monitor, and a capture
/// back by then switched to it and back).
pub(super) const SETTLE_AFTER_RETURN: Duration = Duration::from_secs(1);
/// How long a switch waits for the server to name a default again: between removing the default
/// source and choosing another, PipeWire 0.3.65 named none (measured in CI: a switch that opened
/// at that moment failed with DEVICE_NOT_FOUND).
const NO_DEFAULT_WAIT: Duration = Duration::from_secs(1);

impl Watcher {
    /// Opens the new default: as the host resolves the default now, else (a host whose own
    /// idea of the default lags: cpal's PulseAudio client named none for over a second after
    /// PipeWire removed the default source, in 1 of ~7 CI-like runs) the source the server
    /// names, `target`, by name. Tries again every 50 ms for [`NO_DEFAULT_WAIT`].
    fn open_new_default(
        &self,
        target: &str,
        announce: &dyn Fn(&OpenedDevice),
    ) -> Result<DeviceSource, crate::error::Error> {
        let by_name = DeviceConfig {
            host: Some(self.shared.opened.lock().host.clone()),
            device: DeviceSpec::Query(target.to_string()),
            loopback: false,
            ..self.original.clone()
        };
        let t0 = Instant::now();
        loop {
            let open = |cfg: &DeviceConfig| {
                DeviceSource::start_announced(
                    cfg,
                    self.pipeline.clone(),
                    self.relay.clone(),
                    Some(self.link.clone()),
                    announce,
                )
            };
            let not_found =
                |e: &crate::error::Error| e.kind == crate::error::ErrorKind::DeviceNotFound;
            let r = match open(&self.original) {
                Err(e) if not_found(&e) => open(&by_name),
                other => other,
            };
            match r {
                Err(e)
                    if not_found(&e)
                        && t0.elapsed() < NO_DEFAULT_WAIT
                        && !self.link.is_stopped() =>
                {
                    std::thread::park_timeout(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Stops the open stream, its audio missing from now on (a gap is open), and waits for its
    /// callback: whatever comes next (a loss, a switch) comes after the stream's last packet.
    /// Returns whether it was a reopened stream lost before its first audio.
    pub(super) fn retire_stream(&mut self, source: DeviceSource) -> bool {
        self.shared.connected.store(false, Ordering::Release);
        let unreturned = !matches!(self.link.cancel_return(), 0 | SWITCH);
        self.link.open_gap();
        source.stop_within(STOP_WAIT, false); // its callback is waited for below
                                              // Wait for the callback to be gone (cpal's PulseAudio host drops it on its client's
                                              // thread, after the stream), for at most CALLBACK_WAIT; a callback still alive then is
                                              // retired (delivers nothing more; its partial packet, if it ever comes, comes after
                                              // 'disconnect').
        let t0 = Instant::now();
        while self.link.callbacks() > 0 && t0.elapsed() < CALLBACK_WAIT && !self.link.is_stopped() {
            std::thread::park_timeout(Duration::from_millis(5));
        }
        self.link.retire();
        unreturned
    }

    /// The default changed: after [`SWITCH_SETTLE`], if the server's default is still another
    /// source, the capture switches to it.
    pub(super) fn switch(&mut self) {
        std::thread::park_timeout(SWITCH_SETTLE);
        if self.link.is_stopped() {
            return;
        }
        let target = platform::default_source(self.original.loopback);
        if target.is_none() || target == self.current {
            return; // no default now (a loss, if any, is seen as one), or back to this one
        }
        let Some(source) = self.source.take() else {
            return;
        };
        let from = self.shared.opened.lock().clone();
        let unreturned = self.retire_stream(source);
        // Every packet of the old stream is out: the new one's first packet has this seq (a host
        // may deliver before its start returns).
        let seq = self.pipeline.peek_seq();
        self.link.expect_return(SWITCH);
        let target = target.unwrap_or_default();
        // Queued before the new stream exists: JS may drain the new device's first packets
        // before the open returns, and 'devicechange' must come before them (CI on PipeWire:
        // queued after the open, it came after the flagged first packet). Once, and only for
        // another device; an open that fails after it is a loss right after the switch.
        let announced = Cell::new(false);
        let announce = |to: &OpenedDevice| {
            if to.id != from.id && !announced.replace(true) {
                Counters::add(&self.pipeline.counters.device_changes, 1);
                let _ = self.pipeline.device_changes.push(DeviceChange {
                    seq,
                    from: (from.id.clone(), from.name.clone()),
                    to: (to.id.clone(), to.name.clone()),
                });
                self.relay.unpark();
            }
        };
        match self.open_new_default(&target, &announce) {
            Ok(s) => {
                let to = s.opened.clone();
                self.current = s.default_source.clone();
                if let (Some(f), Some(name)) = (&self.follow, &self.current) {
                    f.set_current(name);
                }
                self.reopen = by_id(&self.original, &to);
                *self.shared.opened.lock() = to.clone();
                self.shared.connected.store(true, Ordering::Release);
                self.source = Some(s);
            }
            Err(e) => {
                self.link.cancel_return();
                self.announce_loss(e, unreturned);
            }
        }
    }
}
