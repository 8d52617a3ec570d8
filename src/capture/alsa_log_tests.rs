use super::{Ring, KEPT, LEN};

#[test]
fn nothing_seen_is_none() {
    let r = Ring::new();
    assert_eq!(r.since(0), None);
}

#[test]
fn messages_since_a_start_come_oldest_first_one_a_line() {
    let mut r = Ring::new();
    r.push(b"before");
    let start = r.seen;
    r.push(b"conf.c:1:(f) one");
    r.push(b"pcm.c:2:(g) two: No such file or directory\n");
    assert_eq!(
        r.since(start).as_deref(),
        Some("conf.c:1:(f) one\npcm.c:2:(g) two: No such file or directory")
    );
}

#[test]
fn only_the_last_kept_messages_stay_and_the_rest_are_counted() {
    let mut r = Ring::new();
    for i in 0..KEPT + 3 {
        r.push(format!("m{i}").as_bytes());
    }
    let got = r.since(0).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0], "(earlier messages not kept: 3)");
    assert_eq!(lines.len(), KEPT + 1);
    assert_eq!(lines[1], "m3");
    assert_eq!(*lines.last().unwrap(), format!("m{}", KEPT + 2));
}

#[test]
fn a_repeat_of_the_line_before_is_left_out() {
    let mut r = Ring::new();
    for m in ["a", "a", "b", "a"] {
        r.push(m.as_bytes());
    }
    assert_eq!(r.since(0).as_deref(), Some("a\nb\na"));
}

#[test]
fn nothing_before_the_last_fresh_start_is_a_cause() {
    let mut r = Ring::new();
    r.push(b"probing default");
    r.floor = r.seen;
    r.push(b"opening the named one");
    assert_eq!(r.since(0).as_deref(), Some("opening the named one"));
}

#[test]
fn long_messages_are_cut_and_bad_utf8_is_replaced() {
    let mut r = Ring::new();
    r.push(&[b'x'; LEN + 50]);
    r.push(&[0xff, b'a']);
    let got = r.since(0).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0].len(), LEN);
    assert_eq!(lines[1], "\u{fffd}a");
}

/// The real libasound: a PCM that does not exist fails to open, its reason is kept as the
/// error's cause (and so not printed).
#[cfg(server_path)]
#[test]
fn a_failed_open_keeps_libasounds_reason_as_the_cause() {
    use crate::error::{Error, ErrorKind};
    use cpal::traits::HostTrait;
    let host = cpal::host_from_id(cpal::HostId::Alsa).unwrap();
    let id = cpal::DeviceId::new(cpal::HostId::Alsa, "pcmtap_no_such_pcm");
    let r: Result<(), Error> = super::quietly(|| {
        host.device_by_id(&id)
            .map(|_| ())
            .ok_or_else(|| Error::new(ErrorKind::DeviceNotFound, "does not open"))
    });
    let e = r.unwrap_err();
    let cause = e.cause.expect("libasound's messages as the cause");
    assert!(
        cause.contains("Unknown PCM pcmtap_no_such_pcm"),
        "cause: {cause}"
    );
    assert!(cause.contains("(snd_pcm_open_noupdate)"), "cause: {cause}");
    // cpal tries capture, then playback: the same line twice, kept once.
    assert_eq!(cause.lines().count(), 1, "cause: {cause}");
    // Outside `quietly` nothing is collected for a later call.
    let ok: Result<(), Error> = super::quietly(|| Ok(()));
    assert!(ok.is_ok());
}
