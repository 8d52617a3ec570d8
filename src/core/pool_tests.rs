//! Tests of the pool's state machine and of returns racing acquisitions.

use super::*;
use std::sync::Arc;

#[test]
fn a_new_pool_has_every_slot_free_and_distinct() {
    let pool = Pool::new(8);
    let mut seen = Vec::new();
    while let Some(s) = pool.try_acquire() {
        assert_eq!(pool.state(s), SlotState::Filling);
        seen.push(s);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..8).collect::<Vec<_>>());
    let st = pool.stats();
    assert_eq!(
        (st.free, st.outstanding, st.hits, st.high_water),
        (0, 8, 8, 8)
    );
}

#[test]
fn the_full_life_of_a_slot_follows_the_state_machine() {
    let pool = Pool::new(2);
    let s = pool.try_acquire().unwrap();
    assert!(!pool.lend_to_js(s), "Filling -> InJs must be refused");
    assert!(
        !pool.recycle_released(s),
        "only a slot lent to JS can be released"
    );
    assert!(pool.publish(s));
    assert!(!pool.publish(s), "Ready -> Ready must be refused");
    assert!(!pool.recycle_released(s), "Ready cannot be released");
    assert!(pool.lend_to_js(s));
    assert_eq!(pool.in_js(), 1);
    assert!(pool.recycle_released(s));
    assert!(
        !pool.recycle_released(s),
        "a second release must be refused"
    );
    assert_eq!(pool.in_js(), 0);
    assert_eq!(pool.state(s), SlotState::Free);
    assert_eq!(pool.recycle(s), None, "a double return must be refused");
    assert_eq!(pool.stats().outstanding, 0);
}

#[test]
fn a_finalized_buffer_that_was_never_released_returns_its_slot() {
    let pool = Pool::new(1);
    let s = pool.try_acquire().unwrap();
    pool.publish(s);
    pool.lend_to_js(s);
    assert!(pool.finalize(s));
    assert_eq!(pool.in_js(), 0);
    assert_eq!(pool.try_acquire(), Some(s));
}

fn lend(pool: &Pool) -> u32 {
    let s = pool.try_acquire().unwrap();
    assert!(pool.publish(s));
    assert!(pool.lend_to_js(s));
    s
}

#[test]
fn a_stale_finalizer_never_frees_a_slot_lent_again() {
    let pool = Pool::new(1);
    let s = lend(&pool);
    assert!(pool.recycle_released(s), "released: free at once");
    assert_eq!(lend(&pool), s, "the only slot is lent again");
    // The first Buffer's finalizer arrives now: it must not free the second Buffer's slot.
    assert!(!pool.finalize(s));
    assert_eq!(pool.state(s), SlotState::InJs);
    assert_eq!(pool.try_acquire(), None);
    // The second Buffer's own finalizer (nobody released it) returns the slot.
    assert!(pool.finalize(s));
    assert_eq!(pool.state(s), SlotState::Free);
}

#[test]
fn stale_finalizers_arriving_after_the_live_one_still_balance() {
    let pool = Pool::new(1);
    let s = lend(&pool);
    pool.recycle_released(s); // Buffer A released; its finalizer is late
    assert_eq!(lend(&pool), s); // Buffer B, never released
    assert!(
        !pool.finalize(s),
        "B's finalizer first consumes A's stale token"
    );
    assert_eq!(pool.state(s), SlotState::InJs);
    assert!(
        pool.finalize(s),
        "A's late finalizer then frees the slot B no longer uses"
    );
    assert_eq!(pool.stats().outstanding, 0);
}

#[test]
fn slot_at_accepts_only_the_start_of_one_of_its_slots() {
    let pool = Pool::new(4);
    let other = Pool::new(4);
    for s in 0..4 {
        assert_eq!(pool.slot_at(pool.slot_ptr(s)), Some(s));
        assert_eq!(other.slot_at(pool.slot_ptr(s)), None);
        // SAFETY: pointer arithmetic inside the slot, never dereferenced.
        let inside = unsafe { pool.slot_ptr(s).add(1) };
        assert_eq!(pool.slot_at(inside), None);
    }
    let past = pool.slot_ptr(3) as usize + SLOT_BYTES;
    assert_eq!(pool.slot_at(past as *const u8), None);
    assert_eq!(pool.slot_ptr(1) as usize % SLOT_ALIGN, 0);
}

#[test]
fn returns_racing_acquisitions_never_lose_or_duplicate_a_slot() {
    const CAP: usize = 16;
    const ROUNDS: u64 = if cfg!(miri) { 200 } else { 200_000 };
    let pool = Arc::new(Pool::new(CAP));
    let (tx, rx) = std::sync::mpsc::sync_channel::<u32>(CAP);
    let producer = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            let mut sent = 0u64;
            let mut misses = 0u64;
            while sent < ROUNDS {
                match pool.try_acquire() {
                    Some(s) => {
                        // Write a marker the consumer checks: proves exclusive ownership.
                        // SAFETY: the slot is Filling and owned by this thread alone.
                        unsafe { pool.slot_ptr(s).cast::<u64>().write(sent) };
                        assert!(pool.publish(s));
                        tx.send(s).unwrap();
                        sent += 1;
                    }
                    None => {
                        pool.record_miss();
                        misses += 1;
                        std::thread::yield_now();
                    }
                }
            }
            misses
        })
    };
    // The JS side, on this thread: half the Buffers are released (slot free at once, their
    // finalizers arrive a few turns later), half are only finalized. Stale finalizers then
    // regularly land on slots that were lent again: none may free a live slot.
    let mut late_finalizers = std::collections::VecDeque::new();
    for n in 0..ROUNDS {
        let s = rx.recv().unwrap();
        // SAFETY: the slot is Ready; the producer no longer writes it.
        let got = unsafe { pool.slot_ptr(s).cast::<u64>().read() };
        assert_eq!(got, n, "a slot was handed out twice");
        assert!(pool.lend_to_js(s));
        if n.is_multiple_of(2) {
            assert!(pool.recycle_released(s));
            late_finalizers.push_back(s);
        } else {
            pool.finalize(s);
        }
        if late_finalizers.len() > 3 {
            pool.finalize(late_finalizers.pop_front().unwrap());
        }
    }
    for s in late_finalizers {
        pool.finalize(s);
    }
    let misses = producer.join().unwrap();
    let st = pool.stats();
    assert_eq!(st.hits, ROUNDS);
    assert_eq!(st.misses, misses, "every recorded miss is counted, no more");
    assert_eq!((st.free, st.outstanding, st.in_js), (CAP, 0, 0));
    assert!(st.high_water <= CAP);
    let mut all: Vec<u32> = std::iter::from_fn(|| pool.try_acquire()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..CAP as u32).collect::<Vec<_>>());
}

#[test]
fn an_impossible_allocation_is_an_error_not_an_abort() {
    // 2^32 - 1 slots of 4 KiB: 16 TiB, more than any machine here can map.
    let err = Pool::try_new(u32::MAX as usize)
        .err()
        .expect("a 16 TiB pool cannot be allocated");
    assert_eq!(err.bytes, u32::MAX as usize * SLOT_BYTES);
}

#[test]
fn the_memory_is_freed_once_and_only_when_no_slot_is_out() {
    let pool = Pool::new(4);
    assert!(pool.has_memory());
    let s = pool.try_acquire().unwrap();
    assert!(pool.publish(s) && pool.lend_to_js(s));
    assert_eq!(pool.free_memory(), None, "a slot is lent to JS");
    assert!(pool.has_memory());
    assert!(pool.recycle_released(s));
    assert_eq!(pool.free_memory(), Some(4 * SLOT_BYTES));
    assert!(!pool.has_memory());
    assert_eq!(pool.free_memory(), None, "freed once");
    assert_eq!(pool.slot_at(s as usize as *const u8), None);
    // The stale finalizer of the released Buffer still comes, and frees nothing.
    assert!(!pool.finalize(s));
}
