//! One process loopback client's capture thread (`pcmtap-app-cap`, one per client): opens the
//! client (`wasapi_activate.rs`), reports to the starting JS thread whether that worked, then
//! waits on the client's event and moves each packet's f32 stereo frames into an `rtrb` ring
//! the mixing thread (`app_mix.rs`) reads — the role of each Linux record stream.
//!
//! Process loopback delivers no packets while its processes play nothing. A client that
//! delivered nothing for [`IDLE_AFTER`] gives its ring up (the mixer plays out what is left and
//! drops the input: the capture counts idle frames, not underruns, while the application is
//! silent) and hands the mixer a fresh one when packets come again; `AppState::opened` counts
//! these rings, `streams` the clients delivering now.
//!
//! Real-time contract of the packet path (event → ring): no allocation, no lock, no panic. The
//! thread allocates at its start and when it gives a ring up (its spare for the next), never
//! per packet; rings are freed on the control thread (`MixerInputs::take_done`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use rtrb::{Consumer, Producer, RingBuffer};
use windows::core::Owned;
use windows::Win32::Foundation::{HANDLE, WAIT_FAILED, WAIT_OBJECT_0};
use windows::Win32::Media::Audio::AUDCLNT_BUFFERFLAGS_SILENT;
use windows::Win32::System::Com::{CoInitializeEx, CoUninitialize, COINIT_MULTITHREADED};
use windows::Win32::System::Threading::{CreateEventW, SetEvent, WaitForMultipleObjects};

use super::app_config::AppState;
use super::wasapi_activate::{named, open, Client, Tree, CHANNELS};
use crate::core::{MixerInputs, Pipeline};
use crate::error::{Error, ErrorKind};

/// A client silent this long gives its ring up (the application stopped playing).
pub const IDLE_AFTER: Duration = Duration::from_millis(200);
/// The longest the thread sleeps between looks at the stop flag and the idle rule.
const WAIT_MS: u32 = 100;

/// A Win32 event (closed on drop).
pub struct Event(Owned<HANDLE>);

// SAFETY: an event is a kernel object reference, usable from any thread; this wrapper only
// sets it, waits on it, and closes it once (on drop).
unsafe impl Send for Event {}
// SAFETY: as above; setting and waiting from several threads at once is allowed.
unsafe impl Sync for Event {}

impl Event {
    /// A new event: `manual` ones stay set once set (a stop signal); others reset when a wait
    /// returns (a client's packet signal).
    pub fn new(manual: bool) -> Result<Self, Error> {
        // SAFETY: plain call; the handle returned is owned (closed by `Owned`'s drop).
        let h = unsafe { CreateEventW(None, manual, false, None) }.map_err(|e| {
            Error::new(
                ErrorKind::StreamError,
                format!("CreateEventW failed: {}", named(&e)),
            )
        })?;
        // SAFETY: a valid handle this function owns.
        Ok(Self(unsafe { Owned::new(h) }))
    }

    pub fn handle(&self) -> HANDLE {
        *self.0
    }

    pub fn set(&self) {
        // SAFETY: a valid event handle.
        let _ = unsafe { SetEvent(*self.0) };
    }
}

/// What every client of one capture shares.
pub struct Shared {
    pub pipeline: Arc<Pipeline>,
    pub relay: Thread,
    pub inputs: Arc<MixerInputs>,
    pub state: Arc<AppState>,
    pub stop: Arc<AtomicBool>,
    /// Set (with `stop`) to end every wait at once.
    pub stop_event: Arc<Event>,
}

impl Shared {
    /// Ends the capture with `e` (the relay delivers it), unless it ends already.
    pub fn fail(&self, e: Error) {
        if self.pipeline.is_running() && !self.stop.load(Ordering::Acquire) {
            self.pipeline.fail(e);
            self.relay.unpark();
        }
    }
}

/// Starts the capture thread of the client for `tree`; the thread reports on `ready` whether
/// the client opened (`Err`: it ended).
pub fn spawn(
    tree: Tree,
    shared: Arc<Shared>,
    ready: SyncSender<Result<(), Error>>,
) -> Result<JoinHandle<()>, Error> {
    std::thread::Builder::new()
        .name("pcmtap-app-cap".into())
        .spawn(move || {
            // SAFETY: initialises COM on this new thread (multithreaded apartment), undone
            // below after every COM object of the thread is dropped.
            if let Err(e) = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) }.ok() {
                let m = format!("CoInitializeEx failed: {}", named(&e));
                let _ = ready.send(Err(Error::new(ErrorKind::HostUnavailable, m)));
                return;
            }
            run(tree, &shared, ready);
            // SAFETY: balances the CoInitializeEx above; the client was dropped in `run`.
            unsafe { CoUninitialize() };
        })
        .map_err(|e| Error::new(ErrorKind::ThreadSpawn, e.to_string()))
}

fn run(tree: Tree, shared: &Shared, ready: SyncSender<Result<(), Error>>) {
    let rate = shared.pipeline.layout.sample_rate;
    let opened = Event::new(false).and_then(|event| {
        let client = open(tree, rate, event.handle())?;
        // SAFETY: plain call on the initialised client.
        unsafe { client.audio.Start() }.map_err(|e| {
            let m = format!("the process loopback client did not start: {}", named(&e));
            Error::new(ErrorKind::StreamError, m)
        })?;
        Ok((event, client))
    });
    let (event, client) = match opened {
        Ok(x) => x,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut reader = Reader {
        shared,
        ring: None,
        spare: Some(RingBuffer::new(rate as usize / 2 * CHANNELS)),
        last: Instant::now(),
    };
    let waits = [event.handle(), shared.stop_event.handle()];
    while !shared.stop.load(Ordering::Acquire) && shared.pipeline.is_running() {
        // SAFETY: both handles are valid events, alive for the call.
        let w = unsafe { WaitForMultipleObjects(&waits, false, WAIT_MS) };
        if w.0 == WAIT_OBJECT_0.0 + 1 {
            break;
        }
        if w == WAIT_FAILED {
            let e = windows::core::Error::from_thread();
            let m = format!("waiting for process loopback packets failed: {}", named(&e));
            shared.fail(Error::new(ErrorKind::StreamError, m));
            break;
        }
        if let Err(e) = reader.drain(&client) {
            let m = format!("the process loopback capture failed: {}", named(&e));
            shared.fail(Error::new(ErrorKind::DeviceLost, m));
            break;
        }
        reader.idle(rate);
    }
    // SAFETY: plain call on the client (stopping a stopped client is harmless).
    let _ = unsafe { client.audio.Stop() };
}

/// The packet path's state.
struct Reader<'a> {
    shared: &'a Shared,
    /// The ring the mixer reads now (none while the client is idle).
    ring: Option<Producer<f32>>,
    /// The next ring, allocated ahead so that a packet never waits for an allocation (some
    /// exactly while `ring` is none).
    spare: Option<(Producer<f32>, Consumer<f32>)>,
    /// When the last packet came.
    last: Instant,
}

impl Reader<'_> {
    /// Moves every packet ready into the ring. Real-time safe.
    fn drain(&mut self, client: &Client) -> windows::core::Result<()> {
        loop {
            // SAFETY: plain calls on the started client; GetBuffer's pointer is read only
            // between it and ReleaseBuffer, for `frames` frames of CHANNELS f32 samples (the
            // format the client was initialised with).
            unsafe {
                if client.capture.GetNextPacketSize()? == 0 {
                    return Ok(());
                }
                let mut data = std::ptr::null_mut();
                let (mut frames, mut flags) = (0u32, 0u32);
                client
                    .capture
                    .GetBuffer(&mut data, &mut frames, &mut flags, None, None)?;
                if frames == 0 {
                    // AUDCLNT_S_BUFFER_EMPTY (a success code): nothing after all.
                    client.capture.ReleaseBuffer(0)?;
                    return Ok(());
                }
                let n = frames as usize * CHANNELS;
                let silent = flags & AUDCLNT_BUFFERFLAGS_SILENT.0 as u32 != 0 || data.is_null();
                if silent {
                    self.push(&[], n);
                } else {
                    self.push(std::slice::from_raw_parts(data.cast::<f32>(), n), n);
                }
                client.capture.ReleaseBuffer(frames)?;
            }
        }
    }

    /// Writes `n` samples (`samples`, or silence when it is empty) into the ring, handing the
    /// spare ring to the mixer first if the client was idle. What does not fit is dropped (the
    /// mixer has not read for half a second).
    fn push(&mut self, samples: &[f32], n: usize) {
        self.last = Instant::now();
        if self.ring.is_none() {
            let Some((producer, consumer)) = self.spare.take() else {
                return;
            };
            if let Err(consumer) = self.shared.inputs.add(consumer) {
                // Too many streams pending: this packet is lost, the next tries again.
                self.spare = Some((producer, consumer));
                return;
            }
            self.shared.state.opened.fetch_add(1, Ordering::Relaxed);
            self.ring = Some(producer);
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        // Whole frames only: a partial one would swap the channels of everything after it.
        let n = n.min(ring.slots()) / CHANNELS * CHANNELS;
        if let Ok(chunk) = ring.write_chunk_uninit(n) {
            if samples.is_empty() {
                chunk.fill_from_iter(std::iter::repeat(0.0));
            } else {
                chunk.fill_from_iter(samples.iter().copied());
            }
        }
    }

    /// Gives the ring up after [`IDLE_AFTER`] without a packet, and allocates the next one (the
    /// application is silent: nothing waits for this allocation).
    fn idle(&mut self, rate: u32) {
        if self.ring.is_some() && self.last.elapsed() >= IDLE_AFTER {
            // The mixer plays out the rest, then hands it to the control thread to free.
            self.ring = None;
            self.spare = Some(RingBuffer::new(rate as usize / 2 * CHANNELS));
        }
    }
}
