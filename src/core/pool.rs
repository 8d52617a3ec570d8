//! The slot pool: `capacity` slots of [`SLOT_BYTES`] bytes in one up-front allocation, a
//! lock-free free list of slot indices and an explicit per-slot state machine (`pool_slots.rs`:
//! the states and every transition).
//!
//! Threads: [`Pool::try_acquire`] runs on the producer (audio) thread and is real-time safe:
//! no allocation, no lock, no syscall, no panic. Every other transition runs on the JS thread
//! (delivery, `release()`, finalizers) or on a test thread. [`Pool::wait_for_free`] is for
//! producers that may block (the unpaced synthetic source), never for a device callback.
//!
//! Memory: the slots are allocated once in [`Pool::try_new`], fallibly (an allocation failure is
//! an error, never an abort) and untouched: the memory is neither zero-filled nor written, so
//! the OS commits each page only when the producer first writes a packet into it. A slot's
//! bytes are exposed only after the producer wrote them (`Ready`), up to the packet's length.
//! The memory is freed by [`Pool::free_memory`] once the capture is closed and no slot is out
//! (JS thread), or when the pool drops. Every external Buffer over a slot holds an `Arc` owning
//! the pool (see `js/delivery.rs`), so the memory outlives every Buffer, whatever order the
//! capture and the Buffers die in.

use std::alloc::{self, Layout};
use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
use std::thread::Thread;

use crossbeam_queue::ArrayQueue;
use parking_lot::Mutex;

// The slot states and their transitions.
#[path = "pool_slots.rs"]
mod slots;
pub use slots::SlotState;

/// Bytes in one slot (one packet at most).
pub const SLOT_BYTES: usize = 4096;
/// Alignment of every slot (a cache line; enough for any sample type).
pub const SLOT_ALIGN: usize = 64;

const _: () = assert!(SLOT_BYTES.is_multiple_of(SLOT_ALIGN));

/// Bytes of slot memory held by every pool of the process right now (all envs, all Workers).
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
/// Pools whose slot memory is allocated right now.
static LIVE_POOLS: AtomicUsize = AtomicUsize::new(0);

/// `(bytes, pools)`: slot memory allocated by every pool of the process at this instant.
pub fn live_memory() -> (usize, usize) {
    (
        LIVE_BYTES.load(Ordering::Acquire),
        LIVE_POOLS.load(Ordering::Acquire),
    )
}

/// The pool's slot memory could not be allocated (the size asked for is in the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocError {
    pub bytes: usize,
}

/// A fixed set of preallocated slots. See the module docs for threads and ownership.
pub struct Pool {
    /// `capacity * SLOT_BYTES` bytes aligned to `SLOT_ALIGN`; null once freed.
    mem: AtomicPtr<u8>,
    capacity: usize,
    states: Box<[AtomicU8]>,
    /// Per slot: finalizers still to come for Buffers already released (they must not free).
    stale: Box<[AtomicU32]>,
    free: ArrayQueue<u32>,
    outstanding: AtomicUsize,
    in_js: AtomicUsize,
    high_water: AtomicUsize,
    hits: AtomicU64,
    misses: AtomicU64,
    waiting: AtomicBool,
    waiter: Mutex<Option<Thread>>,
}

// SAFETY: slot memory (behind the raw pointer `mem`) is written only by the producer while the slot is
// `Filling` and read by JS only once it is `Ready` or later; the state machine, driven by atomic
// compare-and-swap with acquire/release ordering, gives each slot exactly one owner at a time.
unsafe impl Sync for Pool {}

/// Counters of a pool at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub capacity: usize,
    pub free: usize,
    pub outstanding: usize,
    pub in_js: usize,
    pub high_water: usize,
    pub hits: u64,
    pub misses: u64,
}

impl Pool {
    /// Allocates `capacity` slots (1 ..= `u32::MAX`), all free; panics if memory is short.
    /// For tests; captures use [`Pool::try_new`].
    #[cfg(test)]
    pub fn new(capacity: usize) -> Self {
        Self::try_new(capacity).expect("pool allocation failed")
    }

    /// Allocates `capacity` slots (1 ..= `u32::MAX`), all free, or reports that the memory is
    /// not available. The slot memory is left untouched (see the module docs).
    pub fn try_new(capacity: usize) -> Result<Self, AllocError> {
        assert!(
            capacity > 0 && capacity <= u32::MAX as usize,
            "pool capacity out of range"
        );
        let bytes = capacity
            .checked_mul(SLOT_BYTES)
            .ok_or(AllocError { bytes: usize::MAX })?;
        let layout =
            Layout::from_size_align(bytes, SLOT_ALIGN).map_err(|_| AllocError { bytes })?;
        // The slot memory first: it is by far the largest, so an impossible size fails at once.
        // SAFETY: `layout` has a non-zero size (capacity > 0). The memory is not initialized:
        // nothing reads a slot before the producer has written it (see the module docs).
        let mem = unsafe { alloc::alloc(layout) };
        if mem.is_null() {
            return Err(AllocError { bytes });
        }
        let mut states = Vec::new();
        let mut stale = Vec::new();
        if states.try_reserve_exact(capacity).is_err() || stale.try_reserve_exact(capacity).is_err()
        {
            // SAFETY: allocated just above with `layout`, never shared.
            unsafe { alloc::dealloc(mem, layout) };
            return Err(AllocError { bytes });
        }
        states.extend((0..capacity).map(|_| AtomicU8::new(SlotState::Free as u8)));
        stale.extend((0..capacity).map(|_| AtomicU32::new(0)));
        LIVE_BYTES.fetch_add(bytes, Ordering::AcqRel);
        LIVE_POOLS.fetch_add(1, Ordering::AcqRel);
        let free = ArrayQueue::new(capacity);
        for i in 0..capacity as u32 {
            let _ = free.push(i);
        }
        Ok(Self {
            mem: AtomicPtr::new(mem),
            capacity,
            states: states.into_boxed_slice(),
            stale: stale.into_boxed_slice(),
            free,
            outstanding: AtomicUsize::new(0),
            in_js: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            waiting: AtomicBool::new(false),
            waiter: Mutex::new(None),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of slot memory (allocated or not).
    pub fn bytes(&self) -> usize {
        self.capacity * SLOT_BYTES
    }

    /// True while the slot memory is allocated.
    #[cfg(test)]
    pub fn has_memory(&self) -> bool {
        !self.mem.load(Ordering::Acquire).is_null()
    }

    /// Frees the slot memory if it is still allocated and no slot is out (every slot free: no
    /// Buffer, producer or queued packet points into it). Returns the bytes freed, once.
    /// The caller guarantees no producer will acquire a slot again (the capture is closed).
    /// JS thread only (like every transition that makes a slot free but the producer's).
    pub fn free_memory(&self) -> Option<usize> {
        if self.outstanding.load(Ordering::Acquire) != 0 {
            return None;
        }
        let mem = self.mem.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if mem.is_null() {
            return None;
        }
        // SAFETY: `mem` was allocated in `try_new` with this very layout, and the swap above
        // made this the only place that frees it.
        unsafe { alloc::dealloc(mem, self.layout()) };
        LIVE_BYTES.fetch_sub(self.bytes(), Ordering::AcqRel);
        LIVE_POOLS.fetch_sub(1, Ordering::AcqRel);
        Some(self.bytes())
    }

    fn layout(&self) -> Layout {
        // Checked in `try_new`.
        Layout::from_size_align(self.bytes(), SLOT_ALIGN).expect("pool layout")
    }

    /// Start of a slot's memory. Writing through it is allowed only to the producer while the
    /// slot is `Filling`; reading only from `Ready` on. Real-time safe (one atomic load).
    pub fn slot_ptr(&self, slot: u32) -> *mut u8 {
        debug_assert!((slot as usize) < self.capacity);
        let base = self.mem.load(Ordering::Acquire);
        debug_assert!(!base.is_null(), "slot memory used after it was freed");
        base.wrapping_add(slot as usize * SLOT_BYTES)
    }

    /// The slot whose memory starts exactly at `ptr`, if `ptr` is one of this pool's slots
    /// (never once the memory is freed).
    pub fn slot_at(&self, ptr: *const u8) -> Option<u32> {
        let base = self.mem.load(Ordering::Acquire);
        if base.is_null() {
            return None;
        }
        let base = base as usize;
        let addr = ptr as usize;
        let off = addr.checked_sub(base)?;
        if off % SLOT_BYTES != 0 || off / SLOT_BYTES >= self.capacity() {
            return None;
        }
        Some((off / SLOT_BYTES) as u32)
    }

    /// Slots lent to JS and not yet released or finalized.
    pub fn in_js(&self) -> usize {
        self.in_js.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> PoolStats {
        let outstanding = self.outstanding.load(Ordering::Acquire);
        PoolStats {
            capacity: self.capacity(),
            free: self.capacity() - outstanding,
            outstanding,
            in_js: self.in_js(),
            high_water: self.high_water.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let mem = *self.mem.get_mut();
        if !mem.is_null() {
            // SAFETY: allocated in `try_new` with this layout and not freed yet (non-null);
            // dropping the pool means nothing can reach its slots any more.
            unsafe { alloc::dealloc(mem, self.layout()) };
            LIVE_BYTES.fetch_sub(self.bytes(), Ordering::AcqRel);
            LIVE_POOLS.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
