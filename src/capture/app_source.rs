//! An application capture: the audio one application plays (or everything but some), through the
//! same chain, packetizer, pool and delivery as a device. PulseAudio and PipeWire's pulse server
//! give a record stream on one playback stream (`direct_on_input`, what `parec
//! --monitor-stream` does); pcmtap opens one per playback stream of the application, as they come
//! and go, and mixes them at the clock's pace (`core/mix.rs`).
//!
//! Threads:
//! - the JS thread: [`AppSource::start`] (resolves the selection, connects) and `stop`;
//! - the client's reactor thread (the `pulseaudio` crate's): each stream's data callback, which
//!   only converts bytes to f32 into that stream's lock-free ring (real-time safe);
//! - `pcmtap-app` (the audio thread of this source): every 10 ms, mixes what the streams
//!   delivered into the chain and packetizer, dated by the clock; allocates and locks nothing;
//! - `pcmtap-app-ctl` (`app_control.rs`): opens a record stream for each new playback stream of
//!   the application and drops those that ended; notices the application exiting and the server
//!   going away.
//! - `pcmtap-app-read`: the connection's data thread (`app_wire.rs`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};

use super::app_config::{AppConfig, AppState};
use super::app_control::Control;
use super::app_mix::spawn_pacer;
use super::app_wire::{connect, Link};
use super::apps::resolve;
use super::server_event::{ChangeKind, Facility, ServerEvent};
use super::subscribe::{server_socket, subscribe, SubscriptionGuard};
use crate::core::{Chain, ChannelMap as OutMap, MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

pub struct AppSource {
    stop: Arc<AtomicBool>,
    pacer: JoinHandle<()>,
    control: JoinHandle<()>,
    reader: JoinHandle<()>,
    pub state: Arc<AppState>,
    _events: SubscriptionGuard,
}

impl AppSource {
    /// Resolves the selection and connects (on the calling JS thread, so start() fails with a
    /// clear error), then starts the data, mixing and control threads.
    pub fn start(cfg: &AppConfig, pipeline: Arc<Pipeline>, relay: Thread) -> Result<Self, Error> {
        let (target, label) = resolve(&cfg.select)?;
        let lost = |why: String| Error::new(ErrorKind::HostUnavailable, why);
        let sock = server_socket().map_err(|e| lost(format!("cannot reach the sound server: {e}")))?;
        let (writer, reader) =
            connect(sock).map_err(|e| lost(format!("the sound server refused the connection: {e}")))?;
        let layout = pipeline.layout;
        // The server converts to the capture's rate, in stereo; pcmtap maps the channels as for
        // a device (PipeWire's own stereo-to-mono mix keeps power, not amplitude: a 0.5 tone came
        // out at 0.707).
        let in_ch = 2;
        let chain = Chain::new(in_ch, layout.sample_rate, layout.channels as usize, layout.sample_rate, &OutMap::Auto)
            .map_err(|m| Error::new(ErrorKind::UnsupportedConfig, m))?;
        let state = Arc::new(AppState::default());
        *state.label.lock() = label;
        *state.pids.lock() = target.pids().to_vec();
        let inputs = Arc::new(MixerInputs::default());
        let stop = Arc::new(AtomicBool::new(false));
        let spawn_err = |e: std::io::Error| Error::new(ErrorKind::ThreadSpawn, e.to_string());
        let pacer = spawn_pacer(&pipeline, &relay, &inputs, &stop, &state, chain)?;
        // The control thread starts parked until its link exists (the data thread needs it).
        let go = Arc::new(AtomicBool::new(false));
        let (ctl_stop, ctl_go, ctl_state) = (stop.clone(), go.clone(), state.clone());
        let (ctl_pipeline, ctl_inputs) = (pipeline.clone(), inputs.clone());
        let link_slot: Arc<parking_lot::Mutex<Option<Arc<Link>>>> = Default::default();
        let ctl_link = link_slot.clone();
        let control = std::thread::Builder::new()
            .name("pcmtap-app-ctl".into())
            .spawn(move || {
                while !ctl_go.load(Ordering::Acquire) {
                    std::thread::park();
                }
                let Some(link) = ctl_link.lock().take() else { return };
                Control {
                    writer,
                    link,
                    target,
                    pipeline: ctl_pipeline,
                    relay,
                    inputs: ctl_inputs,
                    state: ctl_state,
                    stop: ctl_stop,
                    open: BTreeMap::new(),
                    pending: BTreeMap::new(),
                    in_ch,
                }
                .run()
            })
            .map_err(spawn_err)?;
        let link = Arc::new(Link::new(control.thread().clone()));
        *link_slot.lock() = Some(link.clone());
        go.store(true, Ordering::Release);
        control.thread().unpark();
        let reader = std::thread::Builder::new()
            .name("pcmtap-app-read".into())
            .spawn(move || reader.run(link))
            .map_err(spawn_err)?;
        // Playback streams appearing or ending wake the control thread (client events would not
        // do: each question the control thread asks is a client connecting, a feedback loop
        // measured at ~2,500 wakes a second).
        let wake = control.thread().clone();
        let events = subscribe(Arc::new(move |e: &ServerEvent| {
            if matches!(
                e,
                ServerEvent::Object { facility: Facility::SinkInput, kind: ChangeKind::New | ChangeKind::Removed, .. }
                    | ServerEvent::Connected
                    | ServerEvent::Disconnected
            ) {
                wake.unpark();
            }
        }))?;
        Ok(Self {
            stop,
            pacer,
            control,
            reader,
            state,
            _events: events,
        })
    }

    /// Stops the threads (the mixing thread delivers its partial packet; the control thread
    /// deletes the record streams and ends the connection, which ends the data thread). The
    /// caller has cleared `pipeline.running`.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.pacer.thread().unpark();
        self.control.thread().unpark();
        let _ = self.pacer.join();
        let _ = self.control.join();
        let _ = self.reader.join();
    }
}
