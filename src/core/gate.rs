//! The run gate: which run of a capture may still publish packets. `stop()` seals the run it
//! ends, so a producer that outlives it (a host that drops a stream's callback late, on its own
//! thread, after the stream) cannot queue a packet after the JS side delivered the last one and
//! emitted `'stop'`. Such a packet's frames are counted as dropped instead (never lost silently).
//!
//! Threads: [`RunGate::open`] and [`RunGate::seal`] on the JS thread (start/stop);
//! [`RunGate::enter`] on the producer (the audio thread): two atomic operations, no lock, no
//! allocation. Sealing waits only for a publish already under way (a few hundred nanoseconds).

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

/// No run is open: every producer is refused.
const SEALED: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct RunGate {
    /// The open run (0 until the first `open`, which unit tests of producers rely on), or SEALED.
    run: AtomicU32,
    /// Publishes under way (entered, not yet left).
    publishing: AtomicU32,
    /// The last run opened.
    last: AtomicU32,
}

/// A publish allowed by the gate; the seal waits for it to be dropped.
pub struct Entered<'a>(&'a RunGate);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.publishing.fetch_sub(1, SeqCst);
    }
}

impl RunGate {
    /// Opens a new run (JS thread, before the source starts): its id, for the producers made
    /// for it.
    pub fn open(&self) -> u32 {
        let mut r = self.last.fetch_add(1, SeqCst).wrapping_add(1);
        if r == SEALED || r == 0 {
            r = 1;
            self.last.store(1, SeqCst);
        }
        self.run.store(r, SeqCst);
        r
    }

    /// The run producers made now belong to.
    pub fn current(&self) -> u32 {
        self.run.load(SeqCst)
    }

    /// Ends the open run (JS thread, after the source stopped): from now on its producers are
    /// refused. Returns once no publish of it is under way, so everything it published is
    /// queued.
    pub fn seal(&self) {
        self.run.store(SEALED, SeqCst);
        // Sequentially consistent with `enter`: a producer either saw the seal, or counted
        // itself in before it and is waited for here.
        while self.publishing.load(SeqCst) > 0 {
            std::hint::spin_loop();
        }
    }

    /// Whether a producer of `run` may publish now; hold the guard until its packet is queued.
    /// Real-time safe.
    pub fn enter(&self, run: u32) -> Option<Entered<'_>> {
        self.publishing.fetch_add(1, SeqCst);
        let entered = Entered(self);
        (self.run.load(SeqCst) == run && run != SEALED).then_some(entered)
    }
}

#[cfg(test)]
mod tests {
    use super::RunGate;

    #[test]
    fn a_sealed_or_older_run_is_refused_and_the_open_one_allowed() {
        let g = RunGate::default();
        assert!(
            g.enter(0).is_some(),
            "before any run: producers of tests publish"
        );
        let r1 = g.open();
        assert!(g.enter(r1).is_some());
        assert!(g.enter(0).is_none());
        g.seal();
        assert!(g.enter(r1).is_none(), "sealed");
        let made_while_sealed = g.current();
        assert!(g.enter(made_while_sealed).is_none());
        let r2 = g.open();
        assert_ne!(r1, r2);
        assert!(g.enter(r1).is_none(), "a late producer of the last run");
        assert!(g.enter(r2).is_some());
        assert_eq!(g.publishing.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn seal_waits_for_a_publish_under_way() {
        let g = std::sync::Arc::new(RunGate::default());
        let r = g.open();
        let (tx, rx) = std::sync::mpsc::channel();
        let g2 = g.clone();
        let t = std::thread::spawn(move || {
            let e = g2.enter(r);
            assert!(e.is_some());
            tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(e);
        });
        rx.recv().unwrap();
        let t0 = std::time::Instant::now();
        g.seal();
        assert!(
            t0.elapsed() >= std::time::Duration::from_millis(40),
            "sealed while a publish was under way"
        );
        t.join().unwrap();
    }
}
