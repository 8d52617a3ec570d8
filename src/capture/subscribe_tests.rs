//! The hub without a sound server: its thread's lifetime (started by the first listener, ended
//! promptly by the last guard, even while connecting to a server that never answers), its
//! reconnect pace, dispatch order and the drop guarantee, and the wire decoding of events
//! (messages built with the `pulseaudio` crate's own encoder). The real servers are exercised by
//! test/device-watch.test.js.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pulseaudio::protocol::{self, Command, SubscriptionEvent};
use pulseaudio::protocol::{SubscriptionEventFacility as F, SubscriptionEventType as T};

use super::super::server_event::{ChangeKind, Facility, ServerEvent};
use super::super::subscribe_wire::{decode, read_message};
use super::*;

fn hub(connector: fn() -> io::Result<UnixStream>) -> &'static Hub {
    Box::leak(Box::new(Hub::new(connector)))
}

fn nobody() -> io::Result<UnixStream> {
    Err(io::Error::from(io::ErrorKind::ConnectionRefused))
}

fn until(what: &str, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < Duration::from_secs(5), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn noop() -> Listener {
    Arc::new(|_: &ServerEvent| {})
}

#[test]
fn the_thread_lives_exactly_while_a_guard_does() {
    let h = hub(nobody);
    assert_eq!(h.stats().threads, 0);
    let a = h.subscribe(noop()).unwrap();
    let b = h.subscribe(noop()).unwrap();
    assert_eq!((h.stats().threads, h.stats().listeners), (1, 2));
    drop(a);
    assert_eq!((h.stats().threads, h.stats().listeners), (1, 1));
    drop(b);
    assert_eq!(h.stats(), HubStats::default());
    let c = h.subscribe(noop()).unwrap(); // a new thread for a new first listener
    assert_eq!(h.stats().threads, 1);
    drop(c);
    assert_eq!(h.stats().threads, 0);
}

#[test]
fn the_last_guard_wakes_the_thread_from_its_wait_between_attempts() {
    let h = hub(nobody);
    let mut dropping = Duration::ZERO;
    for _ in 0..5 {
        let g = h.subscribe(noop()).unwrap();
        std::thread::sleep(Duration::from_millis(100)); // now inside the 200 ms wait
        let t = Instant::now();
        drop(g); // joins the thread
        dropping += t.elapsed();
    }
    // Without the wake each drop would wait out the rest of the 200 ms: ~500 ms in all.
    assert!(dropping < Duration::from_millis(250), "{dropping:?}");
}

static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

fn counted_nobody() -> io::Result<UnixStream> {
    ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    nobody()
}

#[test]
fn a_server_that_is_away_is_tried_every_200_ms_not_in_a_busy_loop() {
    let h = hub(counted_nobody);
    let g = h.subscribe(noop()).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    drop(g);
    let n = ATTEMPTS.load(Ordering::SeqCst);
    // 1000 ms / 200 ms: 5 or 6 attempts (one at once); a loaded machine only makes fewer.
    assert!((2..=6).contains(&n), "{n} attempts in 1 s");
}

/// A socket that accepts and never says a word (a stopped server: the kernel accepts from the
/// backlog).
fn silent_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pcmtap-hub-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("native");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        Box::leak(Box::new(listener)); // kept open (and never accepted) for the process
        path
    })
}

static SILENT_CONNECTS: AtomicUsize = AtomicUsize::new(0);

fn silent() -> io::Result<UnixStream> {
    SILENT_CONNECTS.fetch_add(1, Ordering::SeqCst);
    UnixStream::connect(silent_path())
}

#[test]
fn the_last_guard_ends_a_handshake_with_a_silent_server_at_once() {
    let h = hub(silent);
    let g = h.subscribe(noop()).unwrap();
    until("the hub connects", || SILENT_CONNECTS.load(Ordering::SeqCst) > 0);
    std::thread::sleep(Duration::from_millis(20)); // now blocked reading the auth reply
    let t = Instant::now();
    drop(g);
    // Without the shutdown the read waits for the 2 s handshake timeout.
    assert!(t.elapsed() < Duration::from_millis(1000), "{:?}", t.elapsed());
    assert_eq!(h.stats().threads, 0);
    assert_eq!(h.stats().connections, 0, "no handshake completed");
}

#[test]
fn events_reach_every_listener_in_order_and_none_after_its_guard_dropped() {
    let h = hub(nobody);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s1, s2) = (seen.clone(), seen.clone());
    let a = h
        .subscribe(Arc::new(move |e: &ServerEvent| s1.lock().push((1, *e))))
        .unwrap();
    let b = h
        .subscribe(Arc::new(move |e: &ServerEvent| s2.lock().push((2, *e))))
        .unwrap();
    h.dispatch(&ServerEvent::Connected);
    drop(a);
    h.dispatch(&ServerEvent::Disconnected);
    let got = seen.lock().clone();
    use ServerEvent::{Connected as C, Disconnected as D};
    assert_eq!(got, vec![(1, C), (2, C), (2, D)]);
    drop(b);
}

#[test]
fn a_listener_that_drops_its_own_guard_on_the_hub_thread_does_not_deadlock() {
    let h = hub(nobody);
    let slot: Arc<Mutex<Option<SubscriptionGuard>>> = Arc::new(Mutex::new(None));
    let calls = Arc::new(AtomicUsize::new(0));
    let (s, c) = (slot.clone(), calls.clone());
    let g = h
        .subscribe(Arc::new(move |_: &ServerEvent| {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s.lock().take()); // the last guard: stops the hub from its own thread
        }))
        .unwrap();
    *slot.lock() = Some(g);
    std::thread::spawn(move || {
        ON_HUB_THREAD.with(|on| on.set(true));
        h.dispatch(&ServerEvent::Connected);
        h.dispatch(&ServerEvent::Connected);
    })
    .join()
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    until("the hub thread ends", || h.stats().threads == 0);
    assert_eq!(h.stats().listeners, 0);
}

#[test]
fn a_panicking_listener_does_not_stop_the_others() {
    let h = hub(nobody);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let a = h.subscribe(Arc::new(|_: &ServerEvent| panic!("listener bug"))).unwrap();
    let b = h
        .subscribe(Arc::new(move |_: &ServerEvent| {
            c.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap();
    h.dispatch(&ServerEvent::Connected);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop((a, b));
}

fn message(cmd: &Command) -> Vec<u8> {
    let mut buf = Vec::new();
    protocol::write_command_message(&mut buf, 7, cmd, protocol::MAX_VERSION).unwrap();
    buf
}

#[test]
fn subscription_events_decode_and_other_messages_are_skipped_whole() {
    let mut wire = message(&Command::Exit); // a command the hub does not care about
    for (facility, kind, index) in [
        (F::Source, T::New, Some(3)),
        (F::Server, T::Changed, None),
        (F::Module, T::Removed, Some(9)),
    ] {
        let e = SubscriptionEvent {
            event_facility: facility,
            event_type: kind,
            index,
        };
        wire.extend(message(&Command::SubscribeEvent(e)));
    }
    let mut r = io::Cursor::new(wire);
    let mut got = Vec::new();
    while let Ok((desc, payload)) = read_message(&mut r) {
        got.push(decode(&desc, &payload, protocol::MAX_VERSION));
    }
    let obj = |facility, kind, index| {
        Some(ServerEvent::Object {
            facility,
            kind,
            index,
        })
    };
    assert_eq!(
        got,
        vec![
            None,
            obj(Facility::Source, ChangeKind::New, Some(3)),
            obj(Facility::Server, ChangeKind::Changed, None),
            obj(Facility::Other, ChangeKind::Removed, Some(9)),
        ]
    );
}

#[test]
fn a_message_longer_than_the_protocol_allows_is_refused_before_allocating() {
    let mut wire = vec![0xff, 0xff, 0xff, 0xff]; // length 4 GiB - 1
    wire.extend([0xff; 16]);
    assert!(read_message(&mut io::Cursor::new(wire)).is_err());
}
