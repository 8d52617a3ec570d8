//! The reconnect thread's loop (part of `reconnect.rs`, its `Watcher`): watches the open stream,
//! retires it when it is lost, announces the loss, and reopens the device with backoff until it
//! is back, the capture stops, or the give-up time passes.
//!
//! Threads: the reconnect thread (`pcmtap-reconnect`); never touches napi.
//!
//! A loss is noticed as the relay's watchdog notices it for other captures (which this thread
//! replaces here): the host's error callback ([`Link::report_loss`]), the server's socket
//! refusing connections once the device is silent for [`PROBE_AFTER_NS`], or
//! [`STALL_NS`] of silence. Then: the stream is dropped (its partial packet delivered), the
//! loss is queued for JS (`'disconnect'`), and attempts follow at [`ReconnectPolicy::delay`].
//! The stream of a successful attempt reports the return itself, at its first audio
//! (`callback.rs`: the gap is counted and the next packet flagged). A reopened stream that is
//! lost before any audio is one more failed attempt, not a new loss. While the server's socket
//! refuses connections, an attempt costs one local `connect()`; and the thread checks that
//! socket every [`TICK`] between attempts, so a server that comes back is tried at once
//! instead of at the end of a long wait.
//!
//! [`Link::report_loss`]: super::super::link::Link::report_loss
//! [`ReconnectPolicy::delay`]: super::super::link::ReconnectPolicy::delay

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::super::stream::{DeviceSource, STALL_NS, STOP_WAIT};
use super::{Watcher, SETTLE_AFTER_RETURN, TICK};
use crate::core::{Counters, Disconnect, PROBE_AFTER_NS};
use crate::error::{Error, ErrorKind};

impl Watcher {
    pub(super) fn run(mut self) {
        while !self.link.is_stopped() && !self.ended {
            if self.source.is_some() {
                let now = Instant::now();
                if self.link.take_switch() {
                    let settled = self
                        .returned_at
                        .map_or(now, |t| (t + SETTLE_AFTER_RETURN).max(now));
                    self.switch_due = Some(self.switch_due.map_or(settled, |d| d.min(settled)));
                }
                if self.switch_due.is_some_and(|d| now >= d) {
                    self.switch_due = None;
                    self.switch();
                    continue;
                }
                match self.check() {
                    Some(e) => self.lose(e),
                    None => {
                        let wait = self
                            .switch_due
                            .map_or(TICK, |d| d.saturating_duration_since(now).min(TICK));
                        std::thread::park_timeout(wait)
                    }
                }
                continue;
            }
            let now = Instant::now();
            let deadline = self.policy.give_up_after.map(|d| self.lost_at + d);
            if deadline.is_some_and(|d| now >= d) {
                self.give_up();
                break;
            }
            if self.server_gone && self.server_error().is_none() {
                self.step = 0;
                self.attempt();
                continue;
            }
            if now >= self.next_try {
                self.attempt();
                continue;
            }
            let mut until = deadline.map_or(self.next_try, |d| d.min(self.next_try));
            if self.server_gone {
                until = until.min(now + TICK);
            }
            std::thread::park_timeout(until - now);
        }
        if let Some(s) = self.source.take() {
            s.stop_within(STOP_WAIT, true);
        }
        let _ = self.done.send(());
    }

    /// The loss of the open stream, if it is lost.
    fn check(&self) -> Option<Error> {
        if let Some(e) = self.link.take_loss() {
            return Some(e);
        }
        let p = &self.pipeline;
        let silent = p
            .now_ns()
            .saturating_sub(p.last_data_ns.load(Ordering::Acquire));
        if silent > PROBE_AFTER_NS {
            if let Some(e) = self.probe.as_ref().and_then(|probe| probe()) {
                return Some(e);
            }
        }
        (silent > STALL_NS).then(|| {
            Error::new(
                ErrorKind::DeviceLost,
                format!(
                    "capture stalled: no audio from the device for {} s",
                    STALL_NS as f64 / 1e9
                ),
            )
        })
    }

    fn lose(&mut self, e: Error) {
        let Some(source) = self.source.take() else {
            return;
        };
        // A reopened stream lost before its first audio: one more failed attempt.
        let unreturned = self.retire_stream(source);
        self.announce_loss(e, unreturned);
    }

    /// After the stream is retired: without `reconnect` the capture fails with `e`; with it,
    /// `'disconnect'` (unless this was a failed return) and attempts follow.
    pub(super) fn announce_loss(&mut self, e: Error, unreturned: bool) {
        if !self.reconnects {
            let p = &self.pipeline;
            self.link.discard_gap(); // the capture ends here: nothing is missing after its end
            if p.is_running() {
                p.fail(e);
                self.relay.unpark();
            }
            self.ended = true;
            return;
        }
        if !unreturned {
            Counters::add(&self.pipeline.counters.disconnects, 1);
            self.attempts = 0;
            self.step = 0;
            self.lost_at = Instant::now();
            let _ = self.pipeline.disconnects.push(Disconnect {
                seq: self.pipeline.peek_seq(),
                error: e.clone(),
            });
            self.relay.unpark();
        }
        self.last_error = Some(e);
        self.server_gone = self.server_error().is_some();
        self.next_try = Instant::now() + self.policy.delay(self.step + 1);
    }

    /// The server's socket refuses connections: why (no server probe: `None`).
    fn server_error(&self) -> Option<Error> {
        self.probe.as_ref().and_then(|probe| probe())
    }

    fn attempt(&mut self) {
        self.attempts += 1;
        self.step += 1;
        let gone = self.server_error();
        self.server_gone = gone.is_some();
        let opened = match gone {
            Some(e) => Err(e),
            None => {
                self.link.expect_return(self.attempts);
                let p = self.pipeline.clone();
                DeviceSource::start(&self.reopen, p, self.relay.clone(), Some(self.link.clone()))
            }
        };
        match opened {
            Ok(s) => {
                *self.shared.opened.lock() = s.opened.clone();
                self.shared.connected.store(true, Ordering::Release);
                self.source = Some(s);
                self.returned_at = Some(Instant::now());
            }
            Err(e) => {
                self.link.cancel_return();
                self.last_error = Some(e);
                self.next_try = Instant::now() + self.policy.delay(self.step + 1);
            }
        }
    }

    fn give_up(&mut self) {
        let p = &self.pipeline;
        self.link.close_gap(p, p.now_ns());
        let waited = self.policy.give_up_after.unwrap_or_default().as_millis();
        let last = self
            .last_error
            .as_ref()
            .map_or_else(String::new, |e| format!(": {}", e.message));
        p.fail(Error::new(
            ErrorKind::DeviceLost,
            format!(
                "the device did not come back within {waited} ms ({} attempts){last}",
                self.attempts
            ),
        ));
        self.relay.unpark();
    }
}
