//! The pool's slot state machine (part of `pool.rs`, its [`Pool`]): the states a slot goes
//! through ([`SlotState`]) and every transition, each a compare-and-swap, with the free list, the
//! hit and miss counts and the wait of a producer that may block.
//!
//! Threads: the producer's transitions ([`Pool::try_acquire`], [`Pool::record_miss`],
//! [`Pool::publish`]) run on its (audio) thread and are real-time safe: no allocation, no lock,
//! no syscall, no panic. The others run on the JS thread (delivery, `release()`, finalizers,
//! close), on the producer when it abandons a slot ([`Pool::recycle`]), or on a test thread.
//! [`Pool::wait_for_free`] is for producers that may block (the unpaced synthetic source), never
//! for a device callback.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Pool;

/// Where a slot is in its life. Every slot is in exactly one state; transitions are
/// compare-and-swap, so an illegal one is refused instead of corrupting the pool.
///
/// ```text
/// Free -> Filling -> Ready -> InJs -> Free   (release(): detached, back at once)
///            |         |        '----> Free   (finalizer of a Buffer nobody released)
///            |         '-------------> Free   (copied, or never delivered)
///            '-----------------------> Free   (abandoned empty at stop)
/// ```
///
/// A released slot is free at once: once its ArrayBuffer is detached nothing can read it. Its
/// Buffer's finalizer still runs later; a per-slot count of such *stale* finalizers makes each
/// of them a no-op, so a finalizer never frees a slot that was lent again since.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// On the free list.
    Free = 0,
    /// Owned by the producer, being written.
    Filling = 1,
    /// Full, its descriptor waits in the ready queue.
    Ready = 2,
    /// Lent to JS as an external Buffer.
    InJs = 3,
}

impl SlotState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Free,
            1 => Self::Filling,
            2 => Self::Ready,
            _ => Self::InJs,
        }
    }
}

impl Pool {
    /// Takes a free slot for the producer (`Free -> Filling`) and counts a hit, or returns `None`
    /// (the caller decides whether that is a miss). Real-time safe.
    pub fn try_acquire(&self) -> Option<u32> {
        let slot = self.free.pop()?;
        let ok = self.cas(slot, SlotState::Free, SlotState::Filling);
        debug_assert!(ok, "slot {slot} on the free list was not free");
        self.hits.fetch_add(1, Ordering::Relaxed);
        let now = self.outstanding.fetch_add(1, Ordering::AcqRel) + 1;
        self.high_water.fetch_max(now, Ordering::Relaxed);
        Some(slot)
    }

    /// Counts a miss: the producer needed a slot and found none. Real-time safe.
    pub fn record_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// `Filling -> Ready`: the slot is full and its descriptor is about to be queued.
    pub fn publish(&self, slot: u32) -> bool {
        self.cas(slot, SlotState::Filling, SlotState::Ready)
    }

    /// `Ready -> InJs`: the slot now backs an external Buffer.
    pub fn lend_to_js(&self, slot: u32) -> bool {
        let ok = self.cas(slot, SlotState::Ready, SlotState::InJs);
        if ok {
            self.in_js.fetch_add(1, Ordering::AcqRel);
        }
        ok
    }

    /// `InJs -> Free` for a Buffer `release()` has just detached: the slot is reusable at once,
    /// and the Buffer's finalizer, still to come, is recorded as stale. JS thread only.
    pub fn recycle_released(&self, slot: u32) -> bool {
        if self.state(slot) != SlotState::InJs {
            return false;
        }
        self.stale[slot as usize].fetch_add(1, Ordering::AcqRel);
        self.recycle(slot).is_some()
    }

    /// A Buffer's finalizer ran: consumes a stale-finalizer token if the slot has one (its
    /// Buffer was released earlier), else returns the slot (`InJs -> Free`). True if it
    /// returned the slot.
    pub fn finalize(&self, slot: u32) -> bool {
        let stale = &self.stale[slot as usize];
        let mut n = stale.load(Ordering::Acquire);
        while n > 0 {
            match stale.compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return false,
                Err(now) => n = now,
            }
        }
        self.recycle(slot).is_some()
    }

    /// Returns a slot to the free list from `Filling` (abandoned), `Ready` (copied or never
    /// delivered) or `InJs`. Returns the state it left, or `None` if the slot was already free
    /// (a double return, refused).
    pub fn recycle(&self, slot: u32) -> Option<SlotState> {
        let from = loop {
            let cur = self.state(slot);
            if cur == SlotState::Free {
                return None;
            }
            if self.cas(slot, cur, SlotState::Free) {
                break cur;
            }
        };
        if from == SlotState::InJs {
            self.in_js.fetch_sub(1, Ordering::AcqRel);
        }
        self.outstanding.fetch_sub(1, Ordering::AcqRel);
        let pushed = self.free.push(slot).is_ok();
        debug_assert!(pushed, "free list overflow");
        if self.waiting.load(Ordering::Acquire) {
            if let Some(t) = self.waiter.lock().as_ref() {
                t.unpark();
            }
        }
        Some(from)
    }

    /// Blocks the calling producer until a slot may be free, `timeout` passes, or
    /// [`Pool::wake_waiter`] is called. Not for the audio thread: it locks and parks.
    pub fn wait_for_free(&self, timeout: Duration) {
        *self.waiter.lock() = Some(std::thread::current());
        self.waiting.store(true, Ordering::Release);
        if self.free.is_empty() {
            std::thread::park_timeout(timeout);
        }
        self.waiting.store(false, Ordering::Release);
    }

    /// Wakes a producer blocked in [`Pool::wait_for_free`] (used by `stop()`).
    pub fn wake_waiter(&self) {
        if let Some(t) = self.waiter.lock().as_ref() {
            t.unpark();
        }
    }

    pub fn state(&self, slot: u32) -> SlotState {
        SlotState::from_u8(self.states[slot as usize].load(Ordering::Acquire))
    }

    fn cas(&self, slot: u32, from: SlotState, to: SlotState) -> bool {
        self.states[slot as usize]
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}
