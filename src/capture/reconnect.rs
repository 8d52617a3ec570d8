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
//! The reconnect thread's loop (watching, losing, reopening) is `reconnect_watch.rs`; its
//! switch to a new default, `reconnect_switch.rs`.

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
use super::stream::{is_live, DeviceConfig, DeviceSource, OpenedDevice, STOP_WAIT};
use crate::core::Pipeline;
use crate::error::{Error, ErrorKind};

// A capture of the default switching to the new default (the reconnect thread's other job).
#[path = "reconnect_switch.rs"]
mod switch;
// The reconnect thread's loop: watching the stream, and reopening it once lost.
#[path = "reconnect_watch.rs"]
mod watch;

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
