//! A capture session without napi: the pipeline, the source and the relay, started and stopped
//! together.
//!
//! Threads: every method runs on the JS thread (or a test thread). `stop()` blocks only while
//! the producer finishes its current block and the relay makes its last drain request (a
//! `reconnect` capture whose device is away waits for nothing: see `capture/reconnect.rs`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::capture::{
    AppConfig, AppSource, AppState, DeviceConfig, DeviceSource, OpenedDevice, ReconnectingDevice,
};
use crate::core::{Notified, PacketLayout, Pipeline, Relay};
use crate::error::{Error, ErrorKind, Result};
use crate::source::{SyntheticConfig, SyntheticSource};

/// Where samples come from.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceConfig {
    Synthetic(SyntheticConfig),
    Device(DeviceConfig),
    /// One application's audio (or everything but some), from the sound server.
    Application(AppConfig),
}

enum Source {
    Synthetic(SyntheticSource),
    /// Boxed: cpal's WASAPI stream makes it ~270 bytes on Windows (once per start()).
    Device(Box<DeviceSource>),
    /// A device capture with `reconnect`, or following the default: its own thread owns the
    /// stream.
    Reconnecting(ReconnectingDevice),
    Application(AppSource),
}

struct Running {
    relay: Relay,
    source: Source,
}

pub struct Session {
    pipeline: Arc<Pipeline>,
    source: SourceConfig,
    running: Option<Running>,
    /// The device config opened by the last successful start (device sources only); while a
    /// `reconnect` capture runs, its reconnect thread holds the current one.
    opened: Option<OpenedDevice>,
    /// The application capture's state of the last successful start.
    app: Option<std::sync::Arc<AppState>>,
}

impl Session {
    /// Allocates the pool (the capture's one big allocation, fallible: `OutOfMemory`). Starts
    /// nothing.
    pub fn new(layout: PacketLayout, pool_size: usize, source: SourceConfig) -> Result<Self> {
        Ok(Self {
            pipeline: Arc::new(Pipeline::try_new(layout, pool_size)?),
            source,
            running: None,
            opened: None,
            app: None,
        })
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The device config opened last (device sources, once started).
    pub fn opened_device(&self) -> Option<OpenedDevice> {
        match &self.running {
            Some(Running {
                source: Source::Reconnecting(r),
                ..
            }) => Some(r.opened()),
            _ => self.opened.clone(),
        }
    }

    /// An application capture's state (while it runs, and after: the last run's).
    pub fn app_state(&self) -> Option<std::sync::Arc<AppState>> {
        match &self.running {
            Some(Running {
                source: Source::Application(a),
                ..
            }) => Some(a.state.clone()),
            _ => self.app.clone(),
        }
    }

    /// Starts the relay and the source. `notify` runs on the relay thread and asks the JS thread
    /// to drain. Returns `Ok(false)` if already running (nothing changes).
    pub fn start<F>(&mut self, notify: F) -> Result<bool>
    where
        F: FnMut() -> Notified + Send + 'static,
    {
        if self.running.is_some() {
            return Ok(false);
        }
        let spawn_err = |e: std::io::Error| Error::new(ErrorKind::ThreadSpawn, e.to_string());
        let relay = Relay::spawn(self.pipeline.clone(), notify).map_err(spawn_err)?;
        self.pipeline.gate.open();
        self.pipeline.running.store(true, Ordering::Release);
        let p = self.pipeline.clone();
        let started = match &self.source {
            SourceConfig::Synthetic(cfg) => SyntheticSource::start(cfg.clone(), p, relay.thread())
                .map(Source::Synthetic)
                .map_err(spawn_err),
            // A capture with `reconnect`, or one that follows the default: its own thread owns
            // the stream (it reopens or switches it).
            SourceConfig::Device(cfg) => match cfg.reconnect {
                policy if policy.is_some() || cfg.follows() => {
                    ReconnectingDevice::start(cfg, policy, p, relay.thread()).map(|r| {
                        self.opened = Some(r.opened());
                        Source::Reconnecting(r)
                    })
                }
                _ => DeviceSource::start(cfg, p, relay.thread(), None).map(|d| {
                    self.opened = Some(d.opened.clone());
                    Source::Device(Box::new(d))
                }),
            },
            SourceConfig::Application(cfg) => AppSource::start(cfg, p, relay.thread()).map(|a| {
                self.app = Some(a.state.clone());
                Source::Application(a)
            }),
        };
        match started {
            Ok(source) => {
                self.running = Some(Running { relay, source });
                Ok(true)
            }
            Err(e) => {
                self.pipeline.running.store(false, Ordering::Release);
                self.pipeline.gate.seal();
                relay.stop();
                Err(e)
            }
        }
    }

    /// Stops the source (a partial packet is delivered short), then the relay after its last
    /// drain request. Packets already queued stay queued for the JS drain; Buffers already in JS
    /// stay valid. A producer that outlives the source's stop (a host whose teardown takes longer
    /// than the stop waits) publishes nothing after it: its frames count as dropped. Returns
    /// false if it was not running.
    pub fn stop(&mut self) -> bool {
        let Some(r) = self.running.take() else {
            return false;
        };
        self.pipeline.running.store(false, Ordering::Release);
        self.pipeline.pool.wake_waiter();
        match r.source {
            Source::Synthetic(s) => s.stop(),
            Source::Device(d) => d.stop(),
            Source::Reconnecting(r) => {
                self.opened = Some(r.opened());
                r.stop()
            }
            Source::Application(a) => a.stop(),
        }
        // What the source published is queued; a producer that outlives it publishes nothing.
        self.pipeline.gate.seal();
        r.relay.stop();
        true
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}
