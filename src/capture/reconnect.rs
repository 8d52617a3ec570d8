//! `reconnect`: a device capture that survives its device (or sound server) going away. One
//! thread per running capture (`pcmtap-reconnect`) owns the stream, watches it, and when it is
//! lost reopens the same device with backoff until it is back, the capture stops, or the
//! give-up time passes.
//!
//! The same thread runs a capture that follows the default (`follow.rs`; with or without
//! `reconnect`): when the server's default changes to another device, it stops the stream,
//! opens the new default, counts the switch's gap (the first packet is flagged), and queues
//! `'devicechange'`. Without `reconnect`, a loss ends such a capture as it ends any other.
//!
//! Threads: [`ReconnectingDevice::start`] and [`ReconnectingDevice::stop`] run on the JS thread;
//! everything else on the reconnect thread, which never touches napi. Opening a device (and
//! asking the server for its sources) happens there, so a slow or dead server never blocks the
//! event loop.
//!
//! The device reopened is the one the capture resolved at start (its id: the same server
//! source, the same ALSA PCM), never a re-resolved default: a capture does not silently switch
//! to another microphone, or from a monitor to a microphone, because the defaults changed while
//! the server was away.
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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::devices::DeviceSpec;
use super::link::{Link, ReconnectPolicy};
use super::platform::{self, DefaultWatch};
use super::resolve::ServerLost;
use super::stream::{is_live, DeviceConfig, DeviceSource, OpenedDevice, STALL_NS, STOP_WAIT};
use crate::core::{Counters, Disconnect, Pipeline, PROBE_AFTER_NS};
use crate::error::{Error, ErrorKind};

// A capture of the default switching to the new default (the reconnect thread's other job).
#[path = "reconnect_switch.rs"]
mod switch;

/// How often the reconnect thread looks at a running stream (a host error wakes it at once).
const TICK: Duration = Duration::from_millis(100);
/// How long a lost stream's callback may outlive the stream before the loss is announced.
const CALLBACK_WAIT: Duration = Duration::from_millis(500);
use switch::SETTLE_AFTER_RETURN;

/// What the JS thread reads while the reconnect thread runs.
struct Shared {
    opened: Mutex<OpenedDevice>,
    /// A stream is open (not lost, not being reopened).
    connected: AtomicBool,
}

/// A running device capture with `reconnect` (owned by the session, JS thread).
pub struct ReconnectingDevice {
    link: Arc<Link>,
    shared: Arc<Shared>,
    pipeline: Arc<Pipeline>,
    done: Receiver<()>,
    handle: JoinHandle<()>,
}

impl ReconnectingDevice {
    /// Opens the device on the calling (JS) thread, so start() fails as without `reconnect`
    /// when it cannot be opened now, then hands the stream to a new reconnect thread. `policy`
    /// `None`: a capture that only follows the default (a loss ends it).
    pub fn start(
        cfg: &DeviceConfig,
        policy: Option<ReconnectPolicy>,
        pipeline: Arc<Pipeline>,
        relay: Thread,
    ) -> Result<Self, Error> {
        let link = Arc::new(Link::new(pipeline.now_ns()));
        let source = DeviceSource::start(cfg, pipeline.clone(), relay.clone(), Some(link.clone()))?;
        let reopen = by_id(cfg, &source.opened);
        let follow = match (&source.default_source, cfg.follows()) {
            (Some(name), true) => platform::watch_default(cfg.loopback, name, link.clone()),
            _ => None,
        };
        let shared = Arc::new(Shared {
            opened: Mutex::new(source.opened.clone()),
            connected: AtomicBool::new(true),
        });
        let (tx, done) = mpsc::channel();
        let watcher = Watcher {
            probe: source.server_lost.clone(),
            current: source.default_source.clone(),
            source: Some(source),
            original: cfg.clone(),
            follow,
            returned_at: None,
            switch_due: None,
            reconnects: policy.is_some(),
            ended: false,
            link: link.clone(),
            shared: shared.clone(),
            pipeline: pipeline.clone(),
            relay,
            policy: policy.unwrap_or(ReconnectPolicy {
                initial_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
                give_up_after: None,
            }),
            reopen,
            attempts: 0,
            step: 0,
            lost_at: Instant::now(),
            next_try: Instant::now(),
            last_error: None,
            server_gone: false,
            done: tx,
        };
        let handle = std::thread::Builder::new()
            .name("pcmtap-reconnect".into())
            .spawn(move || watcher.run())
            .map_err(|e| Error::new(ErrorKind::ThreadSpawn, e.to_string()))?;
        link.set_watcher(handle.thread().clone());
        Ok(Self {
            link,
            shared,
            pipeline,
            done,
            handle,
        })
    }

    /// The device as last opened.
    pub fn opened(&self) -> OpenedDevice {
        self.shared.opened.lock().clone()
    }

    /// Stops. A live stream is waited for as [`DeviceSource::stop`] waits (its last packet is
    /// delivered; a silent one is not waited for); while the device is away nothing is waited
    /// for: the reconnect thread ends on its own once its current attempt returns, and closes
    /// whatever that attempt opened (its callback delivers nothing once stopped). A gap still
    /// open is counted.
    pub fn stop(self) {
        self.link.stop();
        let live = self.shared.connected.load(Ordering::Acquire) && is_live(&self.pipeline);
        let finished = if live {
            self.done.recv_timeout(STOP_WAIT + TICK).is_ok()
        } else {
            self.done.try_recv().is_ok()
        };
        self.link.close_gap(&self.pipeline, self.pipeline.now_ns());
        if finished {
            let _ = self.handle.join();
        }
    }
}

/// The device `opened` for `cfg`, by id (how a lost device is reopened: the same one).
fn by_id(cfg: &DeviceConfig, opened: &OpenedDevice) -> DeviceConfig {
    DeviceConfig {
        host: Some(opened.host.clone()),
        device: DeviceSpec::Id(opened.id.clone()),
        loopback: false,
        ..cfg.clone()
    }
}

/// The reconnect thread's state.
struct Watcher {
    source: Option<DeviceSource>,
    probe: Option<ServerLost>,
    link: Arc<Link>,
    shared: Arc<Shared>,
    pipeline: Arc<Pipeline>,
    relay: Thread,
    policy: ReconnectPolicy,
    /// `reconnect` is on (else a loss ends the capture).
    reconnects: bool,
    /// A loss ended the capture (without `reconnect`).
    ended: bool,
    /// The config the capture was created with (a switch opens the default it names again).
    original: DeviceConfig,
    /// The server's default, watched while the capture follows it.
    follow: Option<DefaultWatch>,
    /// The server source captured as the default (when following it).
    current: Option<String>,
    /// The device as resolved at start (or at the last switch), by id.
    reopen: DeviceConfig,
    /// When the device last came back after a loss (see [`SETTLE_AFTER_RETURN`]).
    returned_at: Option<Instant>,
    /// A switch to the new default waits until then.
    switch_due: Option<Instant>,
    /// Opens tried since the device went away.
    attempts: u32,
    /// Of those, since the backoff last started over (at the loss, and when the server's
    /// socket accepts again: it is likely still loading its devices).
    step: u32,
    lost_at: Instant,
    next_try: Instant,
    last_error: Option<Error>,
    /// The server's socket refused connections at the last look.
    server_gone: bool,
    done: Sender<()>,
}

impl Watcher {
    fn run(mut self) {
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
    fn announce_loss(&mut self, e: Error, unreturned: bool) {
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
