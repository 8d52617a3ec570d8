//! The relay thread: woken by the producer when packets are ready, it asks the JS thread to
//! drain, at most once per drain.
//!
//! Threads: runs on its own thread (`pcmtap-relay`). It exists so the producer never calls into
//! Node: asking Node to run a callback allocates and locks (see DESIGN.md), which the audio
//! thread must not do. Coalescing: the relay calls `notify` only when it wins the
//! `scheduled` flag (false -> true); the JS thread clears the flag *before* draining, so a packet
//! queued during a drain always causes another call and no wake-up is lost.
//! It also runs the stall watchdog: a device that stops delivering without reporting an error
//! (ALSA's PulseAudio plugin when the server dies) is reported as `DeviceLost`, within a relay
//! tick of its liveness probe saying so (a server-backed source silent for 300 ms), else after
//! the stall limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use super::pipeline::Pipeline;
use crate::error::{Error, ErrorKind};

/// What asking JS to drain came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notified {
    Queued,
    /// The request could not be queued this time; the next wake-up tries again.
    Failed,
    /// The JS side is gone (environment teardown): the relay stops the pipeline and exits.
    Closed,
}

pub struct Relay {
    stop: Arc<AtomicBool>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

impl Relay {
    /// Spawns the relay. `notify` runs on the relay thread and is dropped there when it exits.
    pub fn spawn<F>(pipeline: Arc<Pipeline>, mut notify: F) -> std::io::Result<Self>
    where
        F: FnMut() -> Notified + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name("pcmtap-relay".into())
            .spawn(move || {
                loop {
                    // Timeout only as a safety net; the producer unparks on every completed packet.
                    std::thread::park_timeout(Duration::from_millis(250));
                    let stopping = stop2.load(Ordering::Acquire);
                    if let Some(e) = pipeline.probe_liveness() {
                        pipeline.fail(e);
                    } else if pipeline.stalled() {
                        let secs = pipeline.stall_after_ns.load(Ordering::Acquire) as f64 / 1e9;
                        pipeline.fail(Error::new(
                            ErrorKind::DeviceLost,
                            format!("capture stalled: no audio from the device for {secs} s"),
                        ));
                    }
                    if pipeline.has_work() && !pipeline.scheduled.swap(true, Ordering::AcqRel) {
                        match notify() {
                            Notified::Queued => {}
                            Notified::Failed => pipeline.scheduled.store(false, Ordering::Release),
                            Notified::Closed => {
                                pipeline.running.store(false, Ordering::Release);
                                pipeline.pool.wake_waiter();
                                break;
                            }
                        }
                    }
                    if stopping {
                        break;
                    }
                }
                drop(notify);
            })?;
        let thread = handle.thread().clone();
        Ok(Self {
            stop,
            thread,
            handle: Some(handle),
        })
    }

    /// The handle the producer unparks.
    pub fn thread(&self) -> Thread {
        self.thread.clone()
    }

    /// Makes a last drain request for whatever is queued, then joins the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.thread.unpark();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::convert::OutputFormat;
    use crate::core::packetizer::{MissPolicy, Packetizer};
    use crate::core::pipeline::PacketLayout;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn many_packets_cause_few_coalesced_notifications_and_none_is_lost() {
        let layout = PacketLayout {
            sample_rate: 48_000,
            channels: 1,
            format: OutputFormat::S16,
            frames_per_packet: 1,
        };
        let p = Arc::new(Pipeline::new(layout, 1024));
        let calls = Arc::new(AtomicUsize::new(0));
        let c2 = calls.clone();
        let relay = Relay::spawn(p.clone(), move || {
            c2.fetch_add(1, Ordering::SeqCst);
            Notified::Queued
        })
        .unwrap();
        let mut pk = Packetizer::new(p.clone(), relay.thread(), MissPolicy::Drop);
        let mut drained = 0;
        for i in 0..1000i16 {
            pk.push(&[i], 0);
            if i % 100 == 99 {
                // Play the JS side: wait for a notification, clear the flag, drain.
                while !p.scheduled.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                p.scheduled.store(false, Ordering::Release);
                while let Some(d) = p.ready.pop() {
                    p.pool.recycle(d.slot);
                    drained += 1;
                }
            }
        }
        relay.stop();
        assert_eq!(drained, 1000);
        let n = calls.load(Ordering::SeqCst);
        assert!(
            (10..1000).contains(&n),
            "{n} notifications for 1000 packets in 10 drains"
        );
    }

    #[test]
    fn a_closed_js_side_stops_the_pipeline() {
        let layout = PacketLayout {
            sample_rate: 48_000,
            channels: 1,
            format: OutputFormat::S16,
            frames_per_packet: 1,
        };
        let p = Arc::new(Pipeline::new(layout, 4));
        p.running.store(true, Ordering::Release);
        let relay = Relay::spawn(p.clone(), || Notified::Closed).unwrap();
        let mut pk = Packetizer::new(p.clone(), relay.thread(), MissPolicy::Drop);
        pk.push(&[1i16], 0);
        let t0 = std::time::Instant::now();
        while p.is_running() && t0.elapsed() < Duration::from_secs(5) {
            std::thread::yield_now();
        }
        assert!(!p.is_running());
        relay.stop();
    }
}
