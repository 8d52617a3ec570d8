//! What the sound server tells its subscribers: an object that appeared, changed or went away,
//! and the connection itself coming and going. The types are the same on every platform; only
//! Linux/BSD has a hub that produces them (`subscribe.rs`; elsewhere `other.rs` never calls a
//! listener).
//!
//! Threads: events are built and listeners called on the hub thread (`pcmtap-devwatch`).

use std::sync::Arc;

/// What kind of server object an event is about (PulseAudio's subscription facilities; PipeWire's
/// pulse server sends the same ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facility {
    /// A source: a microphone or a sink's monitor (what `listDevices()` lists on Linux).
    Source,
    /// A sink (playback device).
    Sink,
    /// The server itself: its defaults (`set-default-source`, `set-default-sink`) changed.
    Server,
    /// A record stream (a capture, pcmtap's or another application's).
    SourceOutput,
    /// A sound card (profile changes, hot-plugged USB devices).
    Card,
    /// A playback stream (an application playing into a sink).
    SinkInput,
    /// Anything else the server reports (not subscribed to by the hub: never seen in practice).
    Other,
}

/// What happened to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    New,
    Changed,
    Removed,
}

/// One event of the server connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// An object of the server appeared, changed (its properties, volume, state, …) or went
    /// away. `index` is the server's index of the object (`pactl list short sources` first
    /// column), `None` when the server sent none.
    Object {
        facility: Facility,
        kind: ChangeKind,
        index: Option<u32>,
    },
    /// The hub is subscribed on a fresh connection (the first one, or again after
    /// [`ServerEvent::Disconnected`]): anything may have changed meanwhile, so ask again.
    Connected,
    /// The connection ended (the server went away or dropped it). The hub tries again every
    /// ~200 ms while listeners exist and says [`ServerEvent::Connected`] when it is back.
    Disconnected,
}

/// A subscriber. Called on the hub thread, in the order the server sent the events, for every
/// event while its guard lives. It must be cheap and must not block (unpark a thread, call a
/// threadsafe function); it must not take a lock that is held while a guard is dropped (the drop
/// waits for a call in progress to return).
pub type Listener = Arc<dyn Fn(&ServerEvent) + Send + Sync>;

/// The hub's state, for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HubStats {
    /// Listeners registered now.
    pub listeners: usize,
    /// Hub threads alive now (0 or 1, briefly 2 while a stopped one ends and a new one starts).
    pub threads: usize,
    /// Connections subscribed so far, process-wide (each handshake that completed).
    pub connections: u64,
}
