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
//! - `pcmtap-app-ctl`: opens a record stream for each new playback stream of the application
//!   and drops those that ended, woken by the subscription hub's playback-stream events (and
//!   every 500 ms); notices the application exiting and the server going away.
//! - `pcmtap-app-read`: the connection's data thread (`app_wire.rs`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use pulseaudio::protocol::stream::{BufferAttr, StreamFlags};
use pulseaudio::protocol::{ChannelMap, RecordStreamParams, SampleFormat, SampleSpec};
use rtrb::Consumer;

use super::app_config::{AppConfig, AppState};
use super::app_mix::{spawn_pacer, TICK_DIV};
use super::app_wire::{connect, Instr, Link, Outcome, Writer};
use super::apps::{alive, resolve, streams, Target};
use super::server_event::{ChangeKind, Facility, ServerEvent};
use super::subscribe::{server_socket, sink_monitor, subscribe, SubscriptionGuard};
use crate::core::{Chain, ChannelMap as OutMap, MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

/// The control thread looks even without events this often (and for the application's exit).
const CONTROL_EVERY: Duration = Duration::from_millis(500);

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

/// The control thread's state.
struct Control {
    writer: Writer,
    link: Arc<Link>,
    target: Target,
    pipeline: Arc<Pipeline>,
    relay: Thread,
    inputs: Arc<MixerInputs>,
    state: Arc<AppState>,
    stop: Arc<AtomicBool>,
    /// Record streams open: playback stream index -> record stream channel.
    open: BTreeMap<u32, u32>,
    /// Creates awaiting the server: command seq -> (playback stream index, the ring's reader).
    pending: BTreeMap<u32, (u32, Consumer<f32>)>,
    in_ch: usize,
}

impl Control {
    fn run(mut self) {
        while !self.stop.load(Ordering::Acquire) && self.pipeline.is_running() {
            self.outcomes();
            if let Err(e) = self.sync() {
                self.fail(e);
                break;
            }
            while self.inputs.take_done().is_some() {} // freed here, not on the mixing thread
            std::thread::park_timeout(CONTROL_EVERY);
        }
        for channel in std::mem::take(&mut self.open).into_values() {
            let _ = self.link.instr.push(Instr::Forget { channel });
            let _ = self.writer.delete(channel);
        }
        self.writer.shutdown();
    }

    fn fail(&self, e: Error) {
        if self.pipeline.is_running() {
            self.pipeline.fail(e);
            self.relay.unpark();
        }
    }

    /// What the data thread reported: streams created (their rings go to the mixer), failed
    /// (tried again at the next sync), ended by the server.
    fn outcomes(&mut self) {
        while let Some(o) = self.link.outcomes.pop() {
            match o {
                Outcome::Created { seq, channel } => {
                    if let Some((index, ring)) = self.pending.remove(&seq) {
                        if self.inputs.add(ring).is_ok() {
                            self.open.insert(index, channel);
                            self.state.opened.fetch_add(1, Ordering::Relaxed);
                        } else {
                            let _ = self.link.instr.push(Instr::Forget { channel });
                            let _ = self.writer.delete(channel);
                        }
                    }
                }
                Outcome::Failed { seq } => {
                    self.pending.remove(&seq);
                }
                Outcome::Killed { channel } => self.open.retain(|_, c| *c != channel),
            }
        }
    }

    /// Opens a record stream for each new playback stream of the target; `Err` when the
    /// capture must end (the application exited, the server went away).
    fn sync(&mut self) -> Result<(), Error> {
        let gone = || Error::new(ErrorKind::DeviceLost, "the sound server went away during an application capture");
        if self.link.closed.load(Ordering::Acquire) {
            return Err(gone());
        }
        let now = streams().map_err(|_| gone())?;
        // A playback stream gone whose record stream the server has not ended yet: ended here
        // (never left to be moved to another source).
        let ended: Vec<(u32, u32)> = self
            .open
            .iter()
            .filter(|(index, _)| !now.iter().any(|s| s.index == **index))
            .map(|(i, c)| (*i, *c))
            .collect();
        for (index, channel) in ended {
            self.open.remove(&index);
            let _ = self.link.instr.push(Instr::Forget { channel });
            let _ = self.writer.delete(channel);
        }
        let new: Vec<(u32, u32)> = now
            .iter()
            .filter(|s| self.target.wants(s))
            .filter(|s| !self.open.contains_key(&s.index) && !self.pending.values().any(|(i, _)| *i == s.index))
            .map(|s| (s.index, s.sink))
            .collect();
        for (index, sink) in new {
            self.record(index, sink);
        }
        let pids = self.target.pids();
        let playing = now.iter().any(|s| self.target.wants(s));
        if !playing && self.open.is_empty() && !pids.is_empty() && !pids.iter().any(|p| alive(*p)) {
            let label = self.state.label.lock().clone();
            return Err(Error::new(ErrorKind::AppExited, format!("the application {label} exited")));
        }
        Ok(())
    }

    /// Asks for a record stream on playback stream `index` (of sink `sink`); the data thread
    /// reports the outcome.
    fn record(&mut self, index: u32, sink: u32) {
        let Some(monitor) = sink_monitor(sink) else { return };
        let rate = self.pipeline.layout.sample_rate;
        let params = RecordStreamParams {
            sample_spec: SampleSpec {
                format: SampleFormat::Float32Le,
                channels: self.in_ch as u8,
                sample_rate: rate,
            },
            channel_map: if self.in_ch == 1 { ChannelMap::mono() } else { ChannelMap::stereo() },
            source_index: Some(monitor),
            direct_on_input_index: Some(index),
            buffer_attr: BufferAttr {
                max_length: u32::MAX,
                fragment_size: rate / TICK_DIV * 4 * self.in_ch as u32,
                ..Default::default()
            },
            // Never moved: PipeWire relinks a monitor stream whose playback stream ended to the
            // sink's monitor (measured: another application's 1000 Hz recorded), unless the
            // stream may not move; then it ends instead.
            flags: StreamFlags {
                adjust_latency: true,
                no_move: true,
                ..Default::default()
            },
            ..Default::default()
        };
        // Half a second of audio: far more than the mixer lets a stream hold.
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(rate as usize / 2 * self.in_ch);
        let mut ring = Some(producer);
        let (link, in_ch) = (self.link.clone(), self.in_ch);
        let sent = self.writer.create(params, |seq| {
            if let Some(r) = ring.take() {
                let _ = link.instr.push(Instr::Create {
                    seq,
                    ring: r,
                    channels: in_ch,
                });
            }
        });
        if let Ok(seq) = sent {
            self.pending.insert(seq, (index, consumer));
        }
    }
}
