//! The control thread of an application capture on Linux (`pcmtap-app-ctl`): opens a record
//! stream (`direct_on_input`) for each new playback stream of the followed processes and drops
//! those that ended, woken by the subscription hub's playback-stream events and by the data
//! thread's outcomes, and asks the server every 500 ms besides; ends the capture with
//! `APPLICATION_EXITED` when the processes exited and none of their streams plays (looked at
//! every 50 ms in `/proc` while none is recorded: such an exit makes no server event), and
//! with `DEVICE_LOST` when the server goes away. Never on the audio thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use pulseaudio::protocol::stream::{BufferAttr, StreamFlags};
use pulseaudio::protocol::{ChannelMap, RecordStreamParams, SampleFormat, SampleSpec};
use rtrb::Consumer;

use super::app_config::AppState;
use super::app_mix::TICK_DIV;
use super::app_wire::{Instr, Link, Outcome, Writer};
use super::apps::{alive, streams, Target};
use super::subscribe::sink_monitor;
use crate::core::{MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

/// The control thread asks the server even without events this often.
const CONTROL_EVERY: Duration = Duration::from_millis(500);
/// While no stream of the followed processes is recorded, it looks this often whether they
/// exited (in `/proc`: no question to the server; an exit makes no server event then).
const EXIT_CHECK_EVERY: Duration = Duration::from_millis(50);

/// The control thread's state.
pub struct Control {
    pub writer: Writer,
    pub link: Arc<Link>,
    pub target: Target,
    pub pipeline: Arc<Pipeline>,
    pub relay: Thread,
    pub inputs: Arc<MixerInputs>,
    pub state: Arc<AppState>,
    pub stop: Arc<AtomicBool>,
    /// Record streams open: playback stream index -> record stream channel.
    pub open: BTreeMap<u32, u32>,
    /// Creates awaiting the server: command seq -> (playback stream index, the ring's reader).
    pub pending: BTreeMap<u32, (u32, Consumer<f32>)>,
    pub in_ch: usize,
}

impl Control {
    pub fn run(mut self) {
        // A sync after every wake (an event, an outcome), every CONTROL_EVERY, and once the
        // followed processes are gone while none of their streams is recorded.
        let (mut due, mut synced) = (true, Instant::now());
        while !self.stop.load(Ordering::Acquire) && self.pipeline.is_running() {
            self.outcomes();
            if due || (self.idle() && !self.target.pids().iter().any(|p| alive(*p))) {
                if let Err(e) = self.sync() {
                    self.fail(e);
                    break;
                }
                synced = Instant::now();
            }
            while self.inputs.take_done().is_some() {} // freed here, not on the mixing thread
            let wait = if self.idle() { EXIT_CHECK_EVERY } else { CONTROL_EVERY };
            let parked = Instant::now();
            std::thread::park_timeout(wait);
            due = parked.elapsed() < wait || synced.elapsed() >= CONTROL_EVERY;
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

    /// Following processes none of whose streams is recorded (their exit makes no server event).
    fn idle(&self) -> bool {
        self.open.is_empty() && self.pending.is_empty() && !self.target.pids().is_empty()
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
