//! What a capture reports besides its packets: the exact event [`Counters`] (read by `stats()`),
//! and the device losses ([`Disconnect`]) and default switches ([`DeviceChange`]) queued in the
//! [`Pipeline`] for the JS thread (`'disconnect'`, `'devicechange'`).
//!
//! Threads: counters are bumped from any thread (the producer's audio thread real-time safe:
//! one relaxed atomic add) and read on the JS thread; losses and switches are made on the
//! reconnect thread and taken on the JS thread.
//!
//! [`Pipeline`]: super::pipeline::Pipeline

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;

/// Exact counters of what happened to frames and packets. Every field only grows.
#[derive(Default, Debug)]
pub struct Counters {
    /// Frames written into packets.
    pub frames: AtomicU64,
    /// Frames dropped because no slot was free, or lost by the host (a device source whose
    /// capture clock jumped past the frames it delivered).
    pub dropped_frames: AtomicU64,
    /// Gaps: runs of dropped frames (each flags the next packet as a discontinuity).
    pub discontinuities: AtomicU64,
    /// Packets handed to JS, by any path.
    pub packets: AtomicU64,
    /// Packets handed to JS as external Buffers over pool memory.
    pub external: AtomicU64,
    /// Packets handed to JS as copies (copy mode, low-water fallback, or refused externals).
    pub copied: AtomicU64,
    /// Of `copied`: copies made because JS held too many slots (low-water fallback).
    pub low_water_copies: AtomicU64,
    /// External Buffers detached by `release()`.
    pub released: AtomicU64,
    /// Finalizers of external Buffers that ran (a released Buffer's slot was freed already).
    pub finalized: AtomicU64,
    /// Overruns/underruns the host reported (each flags the next packet as a discontinuity).
    pub xruns: AtomicU64,
    /// Device losses a `reconnect` capture survived so far (it went on waiting for the device).
    pub disconnects: AtomicU64,
    /// Returns of the device after a loss (audio flowed again).
    pub reconnects: AtomicU64,
    /// Output frames missing while the device was away (closed gaps, and a gap ended by stop,
    /// close or giving up), or while a default capture switched devices. Not in
    /// `dropped_frames`.
    pub gap_frames: AtomicU64,
    /// Switches of a default capture to the new default device (`'devicechange'`).
    pub device_changes: AtomicU64,
}

impl Counters {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// A device loss a `reconnect` capture survives (see [`Pipeline::disconnects`]).
///
/// [`Pipeline::disconnects`]: super::pipeline::Pipeline::disconnects
#[derive(Debug)]
pub struct Disconnect {
    /// The seq the next packet will carry: the loss comes after every packet before it.
    pub seq: u64,
    pub error: Error,
}

/// A default capture's switch to the new default device (see [`Pipeline::device_changes`]).
///
/// [`Pipeline::device_changes`]: super::pipeline::Pipeline::device_changes
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceChange {
    /// The seq the next packet will carry: the first packet of the new device, or later.
    pub seq: u64,
    /// `(id, name)` of the device captured until now, and of the new default.
    pub from: (String, String),
    pub to: (String, String),
}
