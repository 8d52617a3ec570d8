//! A capture session without napi: the pipeline, the source and the relay, started and stopped
//! together.
//!
//! Threads: every method runs on the JS thread (or a test thread). `stop()` blocks only while
//! the producer finishes its current block and the relay makes its last drain request.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::core::{Notified, PacketLayout, Pipeline, Relay};
use crate::error::{Error, ErrorKind, Result};
use crate::source::{SyntheticConfig, SyntheticSource};

/// Where samples come from.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceConfig {
    Synthetic(SyntheticConfig),
}

struct Running {
    relay: Relay,
    source: SyntheticSource,
}

pub struct Session {
    pipeline: Arc<Pipeline>,
    source: SourceConfig,
    running: Option<Running>,
}

impl Session {
    /// Allocates the pool (the capture's one big allocation). Starts nothing.
    pub fn new(layout: PacketLayout, pool_size: usize, source: SourceConfig) -> Self {
        Self {
            pipeline: Arc::new(Pipeline::new(layout, pool_size)),
            source,
            running: None,
        }
    }

    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
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
        self.pipeline.running.store(true, Ordering::Release);
        let SourceConfig::Synthetic(cfg) = &self.source;
        match SyntheticSource::start(cfg.clone(), self.pipeline.clone(), relay.thread()) {
            Ok(source) => {
                self.running = Some(Running { relay, source });
                Ok(true)
            }
            Err(e) => {
                self.pipeline.running.store(false, Ordering::Release);
                relay.stop();
                Err(spawn_err(e))
            }
        }
    }

    /// Stops the source (a partial packet is delivered short), then the relay after its last
    /// drain request. Packets already queued stay queued for the JS drain; Buffers already in JS
    /// stay valid. Returns false if it was not running.
    pub fn stop(&mut self) -> bool {
        let Some(r) = self.running.take() else {
            return false;
        };
        self.pipeline.running.store(false, Ordering::Release);
        self.pipeline.pool.wake_waiter();
        r.source.stop();
        r.relay.stop();
        true
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}
