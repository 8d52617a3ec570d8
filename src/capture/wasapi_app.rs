//! An application capture on Windows: process loopback (Windows 10 build 20348 and later). One
//! client per process tree (`wasapi_loopback.rs`), each a ring the shared mixing thread
//! (`app_mix.rs`) reads at the clock's pace, then the same chain, packetizer, pool and delivery
//! as a device or a Linux application capture.
//!
//! What each selection opens: `wasapi_app_select.rs`.
//!
//! Threads:
//! - the JS thread: [`AppSource::start`] (resolves the selection, waits until every client has
//!   opened or one failed, so start() fails with the reason) and `stop`;
//! - `pcmtap-app-cap`, one per client: its packets into its ring (`wasapi_loopback.rs`);
//! - `pcmtap-app` (the audio thread of this source): mixes, paces and delivers (`app_mix.rs`);
//! - `pcmtap-app-ctl`: waits for the followed processes to exit (the capture then ends with
//!   `AppExited`, as on Linux) and frees the rings the mixer is done with.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use windows::Win32::Foundation::{HANDLE, WAIT_FAILED, WAIT_OBJECT_0};
use windows::Win32::System::Threading::WaitForMultipleObjects;

use super::app_config::{AppConfig, AppState};
use super::app_mix::spawn_pacer;
use super::wasapi_activate::{named, ACTIVATE_TIMEOUT, CHANNELS};
use super::wasapi_app_select::resolve;
use super::wasapi_loopback::{spawn, Event, Shared};
use super::wasapi_process::Process;
use crate::core::{Chain, ChannelMap as OutMap, MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

pub use super::wasapi_app_list::list as list_apps;

/// How often the control thread frees finished rings while nothing happens.
const CONTROL_EVERY_MS: u32 = 500;
/// How long start() waits for a client beyond its activation timeout (Initialize, Start).
const OPEN_SLACK: Duration = Duration::from_secs(5);

pub struct AppSource {
    stop: Arc<AtomicBool>,
    stop_event: Arc<Event>,
    pacer: JoinHandle<()>,
    control: JoinHandle<()>,
    clients: Vec<JoinHandle<()>>,
    pub state: Arc<AppState>,
}

impl AppSource {
    /// Resolves the selection, opens every client (on their threads; this JS thread waits for
    /// each to report), then starts the mixing and control threads.
    ///
    /// # Errors
    /// [`ErrorKind::AppNotFound`] (no such pid, no such application playing),
    /// [`ErrorKind::UnsupportedConfig`] (more than one pid excluded; no process loopback on this
    /// system: before Windows 10 build 20348, or Wine), or a client's failure to open.
    pub fn start(cfg: &AppConfig, pipeline: Arc<Pipeline>, relay: Thread) -> Result<Self, Error> {
        let plan = resolve(&cfg.select)?;
        let layout = pipeline.layout;
        let chain = Chain::new(
            CHANNELS,
            layout.sample_rate,
            layout.channels as usize,
            layout.sample_rate,
            &OutMap::Auto,
        )
        .map_err(|m| Error::new(ErrorKind::UnsupportedConfig, m))?;
        let state = Arc::new(AppState::default());
        *state.label.lock() = plan.label.clone();
        *state.pids.lock() = plan.pids.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_event = Arc::new(Event::new(true)?);
        let shared = Arc::new(Shared {
            pipeline: pipeline.clone(),
            relay: relay.clone(),
            inputs: Arc::new(MixerInputs::default()),
            state: state.clone(),
            stop: stop.clone(),
            stop_event: stop_event.clone(),
        });
        let mut clients = Vec::new();
        let halt = |clients: Vec<JoinHandle<()>>| {
            stop.store(true, Ordering::Release);
            stop_event.set();
            for c in clients {
                let _ = c.join();
            }
        };
        // Every client opens at once; start() waits for all of them.
        let mut replies = Vec::new();
        for tree in &plan.trees {
            let (tx, rx) = sync_channel(1);
            match spawn(*tree, shared.clone(), tx) {
                Ok(h) => clients.push(h),
                Err(e) => {
                    halt(clients);
                    return Err(e);
                }
            }
            replies.push(rx);
        }
        for rx in replies {
            let reply = rx
                .recv_timeout(ACTIVATE_TIMEOUT + OPEN_SLACK)
                .unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::StreamError,
                        "a process loopback client did not open in time",
                    ))
                });
            if let Err(e) = reply {
                halt(clients);
                return Err(e);
            }
        }
        let spawn_err = |e: std::io::Error| Error::new(ErrorKind::ThreadSpawn, e.to_string());
        let pacer = match spawn_pacer(&pipeline, &relay, &shared.inputs, &stop, &state, chain) {
            Ok(h) => h,
            Err(e) => {
                halt(clients);
                return Err(e);
            }
        };
        let (watch, ctl) = (plan.watch, shared.clone());
        let control = match std::thread::Builder::new()
            .name("pcmtap-app-ctl".into())
            .spawn(move || control(watch, &ctl))
        {
            Ok(h) => h,
            Err(e) => {
                halt(clients);
                pacer.thread().unpark();
                let _ = pacer.join();
                return Err(spawn_err(e));
            }
        };
        Ok(Self {
            stop,
            stop_event,
            pacer,
            control,
            clients,
            state,
        })
    }

    /// Stops every thread (the mixing thread delivers its partial packet; each client is
    /// stopped and released on its own thread). The caller has cleared `pipeline.running`.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.stop_event.set();
        self.pacer.thread().unpark();
        let _ = self.pacer.join();
        for c in self.clients {
            let _ = c.join();
        }
        let _ = self.control.join();
    }
}

/// The control thread: ends the capture when every followed process exited; frees the rings the
/// mixer is done with.
fn control(mut watch: Vec<Process>, shared: &Shared) {
    let follows = !watch.is_empty();
    while !shared.stop.load(Ordering::Acquire) && shared.pipeline.is_running() {
        let handles: Vec<HANDLE> = std::iter::once(shared.stop_event.handle())
            .chain(watch.iter().map(Process::handle))
            .collect();
        // SAFETY: every handle is a valid event or process handle alive for the call (at most
        // 1 + MAX_INPUTS of them, below the system's 64).
        let w = unsafe { WaitForMultipleObjects(&handles, false, CONTROL_EVERY_MS) };
        while shared.inputs.take_done().is_some() {} // freed here, not on the mixing thread
        if w == WAIT_FAILED {
            let e = windows::core::Error::from_thread();
            let m = format!("waiting for the application to exit failed: {}", named(&e));
            shared.fail(Error::new(ErrorKind::StreamError, m));
            break;
        }
        let at = w.0.wrapping_sub(WAIT_OBJECT_0.0) as usize;
        if at == 0 {
            break;
        }
        if at < handles.len() {
            watch.swap_remove(at - 1);
            if follows && watch.is_empty() {
                let label = shared.state.label.lock().clone();
                let m = format!("the application {label} exited");
                shared.fail(Error::new(ErrorKind::AppExited, m));
                break;
            }
        }
    }
    while shared.inputs.take_done().is_some() {}
}
