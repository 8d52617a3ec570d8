//! An application capture on macOS 14.2+: a Core Audio process tap (`coreaudio_tap.rs`) of the
//! selected processes (or of everything but some), read through a private aggregate device,
//! into one lock-free ring that the shared pacing thread (`app_mix.rs`) mixes, paces and
//! delivers through the same chain, packetizer and pool as a device. The tap is a stereo mixdown
//! of all the processes' output, so the capture has one "stream" (`AppState::streams` is 1 while
//! it runs). Type-checked here (`npm run check:targets`); never run: no macOS machine is
//! reachable from this project's CI.
//!
//! Threads:
//! - the JS thread: [`AppSource::start`] (resolves the selection, creates the tap and the
//!   aggregate device, starts it) and `stop` (tears them down, joins the threads);
//! - the aggregate device's IO thread (Core Audio's): the IO proc, which only converts the tap's
//!   buffers into the ring (`coreaudio_tap_io.rs`; real-time safe);
//! - `pcmtap-app` (the audio thread of this source): every 10 ms, mixes the ring into the chain
//!   and packetizer, dated by the clock (`app_mix.rs`);
//! - `pcmtap-app-ctl`: every 50 ms, ends the capture with `AppExited` once every followed
//!   process has exited (`kill(pid, 0)` fails with `ESRCH`, or it is a zombie), and frees
//!   finished rings.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use super::app_config::{AppConfig, AppState};
use super::app_mix::spawn_pacer;
use super::coreaudio_apps_list::{alive, resolve};
use super::coreaudio_tap::Tap;
use super::coreaudio_tap_ring::{TapRing, CHANNELS};
use crate::core::{Chain, ChannelMap, MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

pub use super::coreaudio_apps_list::list_apps;

/// The control thread looks this often whether the followed processes exited (two system calls
/// per process: the capture ends within about this long of the exit).
const CONTROL_EVERY: Duration = Duration::from_millis(50);

pub struct AppSource {
    stop: Arc<AtomicBool>,
    pacer: JoinHandle<()>,
    control: JoinHandle<()>,
    tap: Tap,
    pub state: Arc<AppState>,
}

impl AppSource {
    /// Resolves the selection (nothing is created for a pid or name that matches nothing), creates
    /// and starts the tap, then the pacing and control threads. Everything created is torn down
    /// again when a later step fails.
    ///
    /// # Errors
    /// [`ErrorKind::AppNotFound`], [`ErrorKind::UnsupportedConfig`] (before macOS 14.2),
    /// [`ErrorKind::PermissionDenied`] / [`ErrorKind::StreamError`] (Core Audio refused),
    /// [`ErrorKind::ThreadSpawn`].
    pub fn start(cfg: &AppConfig, pipeline: Arc<Pipeline>, relay: Thread) -> Result<Self, Error> {
        let sel = resolve(&cfg.select)?;
        let layout = pipeline.layout;
        let mut tap = Tap::create(&sel)?;
        // The ring holds the tap's rate (Core Audio converts nothing for a tap); the pacing
        // thread mixes at that rate and the chain resamples to the capture's, as for a device.
        let chain = Chain::new(
            CHANNELS,
            tap.rate,
            layout.channels as usize,
            layout.sample_rate,
            &ChannelMap::Auto,
        )
        .map_err(|m| Error::new(ErrorKind::UnsupportedConfig, m))?;
        // Half a second of audio: far more than the mixer lets it hold.
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(tap.rate as usize / 2 * CHANNELS);
        let convert = TapRing::new(producer);
        let inputs = Arc::new(MixerInputs::default());
        // The queue is empty: it takes the ring.
        if inputs.add(consumer).is_err() {
            return Err(Error::new(
                ErrorKind::StreamError,
                "the mixer refused the tap's ring",
            ));
        }
        let state = Arc::new(AppState::default());
        *state.label.lock() = sel.label.clone();
        *state.pids.lock() = sel.pids.clone();
        tap.start(convert)?;
        state.opened.store(1, Ordering::Relaxed);
        let stop = Arc::new(AtomicBool::new(false));
        let spawn_err = |e: std::io::Error| Error::new(ErrorKind::ThreadSpawn, e.to_string());
        let pacer = spawn_pacer(&pipeline, &relay, &inputs, &stop, &state, chain)?;
        let control = {
            let (s, st, pids) = (stop.clone(), state.clone(), sel.pids);
            std::thread::Builder::new()
                .name("pcmtap-app-ctl".into())
                .spawn(move || control(pipeline, relay, inputs, st, s, pids))
        };
        let control = match control {
            Ok(c) => c,
            Err(e) => {
                stop.store(true, Ordering::Release);
                pacer.thread().unpark();
                let _ = pacer.join();
                return Err(spawn_err(e));
            }
        };
        Ok(Self {
            stop,
            pacer,
            control,
            tap,
            state,
        })
    }

    /// Stops the tap (`AudioDeviceStop`, the IO proc, the aggregate device and the tap are
    /// destroyed), then the threads (the pacing thread delivers its partial packet). The caller
    /// has cleared `pipeline.running`.
    pub fn stop(self) {
        let Self {
            stop,
            pacer,
            control,
            tap,
            ..
        } = self;
        drop(tap);
        stop.store(true, Ordering::Release);
        pacer.thread().unpark();
        control.thread().unpark();
        let _ = pacer.join();
        let _ = control.join();
    }
}

/// The control thread: ends the capture once every followed process has exited.
fn control(
    pipeline: Arc<Pipeline>,
    relay: Thread,
    inputs: Arc<MixerInputs>,
    state: Arc<AppState>,
    stop: Arc<AtomicBool>,
    pids: Vec<u32>,
) {
    while !stop.load(Ordering::Acquire) && pipeline.is_running() {
        while inputs.take_done().is_some() {} // freed here, not on the pacing thread
        if !pids.is_empty() && !pids.iter().any(|p| alive(*p)) {
            if pipeline.is_running() {
                let label = state.label.lock().clone();
                pipeline.fail(Error::new(
                    ErrorKind::AppExited,
                    format!("the application {label} exited"),
                ));
                relay.unpark();
            }
            return;
        }
        std::thread::park_timeout(CONTROL_EVERY);
    }
}
