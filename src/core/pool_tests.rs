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
    assert!(pool.publish(s));
    assert!(!pool.publish(s), "Ready -> Ready must be refused");
    assert!(!pool.mark_released(s), "Ready -> Released must be refused");
    assert!(pool.lend_to_js(s));
    assert_eq!(pool.in_js(), 1);
    assert!(pool.mark_released(s));
    assert!(!pool.mark_released(s), "a second release must be refused");
    assert_eq!(pool.in_js(), 0);
    assert_eq!(pool.recycle(s), Some(SlotState::Released));
    assert_eq!(pool.recycle(s), None, "a double return must be refused");
    assert_eq!(pool.state(s), SlotState::Free);
    assert_eq!(pool.stats().outstanding, 0);
}

#[test]
fn a_finalized_buffer_that_was_never_released_returns_its_slot() {
    let pool = Pool::new(1);
    let s = pool.try_acquire().unwrap();
    pool.publish(s);
    pool.lend_to_js(s);
    assert_eq!(pool.recycle(s), Some(SlotState::InJs));
    assert_eq!(pool.in_js(), 0);
    assert_eq!(pool.try_acquire(), Some(s));
}

#[test]
fn unmark_released_restores_a_lent_slot() {
    let pool = Pool::new(1);
    let s = pool.try_acquire().unwrap();
    pool.publish(s);
    pool.lend_to_js(s);
    pool.mark_released(s);
    assert!(pool.unmark_released(s));
    assert_eq!(pool.state(s), SlotState::InJs);
    assert_eq!(pool.in_js(), 1);
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
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            move |s: u32, expect: u64| {
                // SAFETY: the slot is Ready; the producer no longer writes it.
                let got = unsafe { pool.slot_ptr(s).cast::<u64>().read() };
                assert_eq!(got, expect);
                assert!(pool.lend_to_js(s));
                if expect.is_multiple_of(2) {
                    assert!(pool.mark_released(s));
                }
                assert!(pool.recycle(s).is_some());
            }
        })
        .collect();
    // Return slots from a second thread too, so returns race each other as well.
    let (tx2, rx2) = std::sync::mpsc::channel::<(u32, u64)>();
    let c1 = consumers[1].clone();
    let returner = std::thread::spawn(move || {
        for (s, n) in rx2 {
            c1(s, n);
        }
    });
    for n in 0..ROUNDS {
        let s = rx.recv().unwrap();
        if n % 3 == 0 {
            tx2.send((s, n)).unwrap();
        } else {
            consumers[0](s, n);
        }
    }
    drop(tx2);
    returner.join().unwrap();
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
