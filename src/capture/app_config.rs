//! What an application capture records (`application: { pid } | { name }`, or
//! `loopback: { exclude: [pid…] }`): plain data, the same on every platform; only the server path
//! (`apps.rs`, `app_source.rs`) opens one.

use std::sync::atomic::{AtomicU32, AtomicU64};

/// What stats() reads while an application capture runs (written by its threads).
#[derive(Default)]
pub struct AppState {
    /// The application (its name, or a description of the selection).
    pub label: parking_lot::Mutex<String>,
    /// The processes followed (none for `Exclude`).
    pub pids: parking_lot::Mutex<Vec<u32>>,
    /// Streams mixed now.
    pub streams: AtomicU32,
    /// Frames delivered while no stream played (silence at the clock's pace).
    pub idle_frames: AtomicU64,
    /// Frames of a playing stream that came too late and were replaced by silence.
    pub underrun_frames: AtomicU64,
    /// Record streams opened so far.
    pub opened: AtomicU64,
}

/// Which playback streams of the sound server the capture mixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppSelect {
    /// Every stream of the process with this id.
    Pid(u32),
    /// Every stream of the processes whose application name or binary is this (case-insensitive),
    /// as they play when the capture starts.
    Name(String),
    /// Every stream on the default sink except those of these processes (what the machine
    /// plays, less some applications).
    Exclude(Vec<u32>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    pub select: AppSelect,
}

/// One application playing audio now (`listApplications()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppInfo {
    pub pid: u32,
    /// The name it gives the sound server (`application.name`).
    pub name: String,
    /// Its executable's file name (`application.process.binary`).
    pub binary: String,
    /// The host it plays through (`pulseaudio`: the PulseAudio or PipeWire server).
    pub host: String,
    /// Its playback streams now.
    pub streams: u32,
}
