//! Where libpulse stops reading a client.conf file, line by line, as `conf-parser.c` does.

use super::*;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pcmtap-parse-test-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn refused(applied: &str, then: Option<Verdict>) -> Verdict {
    Verdict::Refused {
        applied: applied.as_bytes().to_vec(),
        then: then.map(Box::new),
    }
}

fn judge_text(d: &Path, text: &str) -> Verdict {
    let f = d.join("client.conf");
    fs::write(&f, text).unwrap();
    judge(&f)
}

#[test]
fn a_file_of_known_keys_with_good_values_is_read_to_its_end() {
    let d = scratch("whole");
    let text = "# comment\n; also\n\n  default-server = unix:/x # trailing\n[any section]\n\
                autospawn = Yes\nenable-shm=off\nenable-memfd = y\ndisable-shm = 0\n\
                shm-size-bytes = 0x10000\nshm-size-bytes = 0065536\ncookie-file =\n\
                auto-connect-display = nope\n";
    assert_eq!(judge_text(&d, text), Verdict::Whole);
    assert_eq!(
        judge(&d.join("absent.conf")),
        Verdict::Whole,
        "ENOENT is no error"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_first_refused_line_ends_the_file_and_what_came_before_is_what_libpulse_applied() {
    let d = scratch("refused");
    let first = "default-server = unix:/x\n";
    for bad in [
        "bogus-key = 1",
        "autospawn = maybe",
        "autospawn =",
        "shm-size-bytes = +1",
        "shm-size-bytes = 4294967296",
        "shm-size-bytes = 0X10",
        "shm-size-bytes = 1k",
        "no equals sign",
        "[Properties]",
        "[unclosed",
        "[",
        ".include\tx.conf",
    ] {
        let text = format!("  {first}{bad}\ndefault-sink = never\n");
        assert_eq!(judge_text(&d, &text), refused(first, None), "{bad:?}");
    }
    assert_eq!(
        judge(&d),
        refused("", None),
        "a directory: fgets fails with EISDIR"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn includes_resolve_against_the_including_file_and_a_refusal_inside_one_propagates() {
    let d = scratch("include");
    fs::create_dir(d.join("sub")).unwrap();
    fs::write(d.join("sub/good.conf"), "default-sink = s\n").unwrap();
    fs::write(d.join("sub/bad.conf"), "default-source = m\nbogus = 1\n").unwrap();
    fs::write(
        d.join("sub/inner.conf"),
        ".include good.conf\n.include bad.conf\n",
    )
    .unwrap();
    let good = d.join("sub/good.conf");
    let text = "autospawn = no\n.include sub/inner.conf\ndefault-sink = never\n";
    let inner = refused(
        &format!(".include {}\n", good.display()),
        Some(refused("default-source = m\n", None)),
    );
    assert_eq!(
        judge_text(&d, text),
        refused("autospawn = no\n", Some(inner))
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_include_loop_is_left_to_libpulse_and_lines_are_cut_as_fgets_cuts_them() {
    let d = scratch("loop");
    assert_eq!(judge_text(&d, ".include client.conf\n"), Verdict::Unknown);
    // A 4095-byte chunk ends a line: the rest of the long line is a line of its own.
    let long = format!("default-server = {}{}\n", "x".repeat(4095 - 17), "bogus");
    let expected = format!("default-server = {}\n", "x".repeat(4095 - 17));
    assert_eq!(judge_text(&d, &long), refused(&expected, None));
    // A NUL ends the line for the parser.
    assert_eq!(judge_text(&d, "autospawn = no\0garbage\n"), Verdict::Whole);
    fs::remove_dir_all(&d).unwrap();
}
