//! Where libpulse 16.1 stops reading a `client.conf` file: a port of `pa_config_parse` and
//! `parse_line` (`pulsecore/conf-parser.c`) for the client table (`pa_client_conf_load` in
//! `pulse/client-conf.c`). libpulse stops a file at the first line it refuses (an unknown key, a
//! bad value, a line without `=`, an included file it refuses), and through `.include` that
//! refusal ends the including file too. pcmtap's configuration includes each user file, so a
//! refusal in one would end pcmtap's file and skip the files after it, which libpulse alone
//! still reads (the `.d` files are parsed one by one). `pulse_reads.rs` therefore copies what
//! libpulse applies of a refused file instead of including it.
//!
//! Booleans: libpulse's fixed words, then the locale's `YESEXPR`/`NOEXPR` (in the C locale,
//! which Node keeps, `^[yY]` and `^[nN]`).
//!
//! Threads: JS thread, once per process (`pulse_conf::disable_shm`).

use std::ffi::OsStr;
use std::fs;
use std::io::{ErrorKind, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// libpulse's line buffer (`pa_config_parser_state.buf`): `fgets` reads at most 4095 bytes.
const LINE_MAX: usize = 4095;
/// Deeper than this is an `.include` loop: libpulse recurses until its stack overflows.
const MAX_DEPTH: usize = 64;
/// Larger files are left to libpulse as they are.
const MAX_BYTES: u64 = 1 << 20;

const WHITESPACE: &[u8] = b" \t\n";

/// What libpulse applies of one file.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read to its end (or absent): `.include` it.
    Whole,
    /// Refused at a line: `applied` are the lines before it (relative `.include` targets made
    /// absolute, so they mean the same anywhere); `then`, when the refused line is an `.include`
    /// of a file refused in turn, what libpulse applied of that file before.
    Refused {
        applied: Vec<u8>,
        then: Option<Box<Verdict>>,
    },
    /// Not judged (an `.include` loop, not a regular file, too large): left to libpulse.
    Unknown,
}

/// Judges `file` as `.include` parses it (`pa_config_parse` without the `.d` directory).
pub fn judge(file: &Path) -> Verdict {
    judge_at(file, 0)
}

fn judge_at(file: &Path, depth: usize) -> Verdict {
    let refused = |applied, then| Verdict::Refused { applied, then };
    if depth > MAX_DEPTH {
        return Verdict::Unknown;
    }
    let opened = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file);
    let f = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Verdict::Whole,
        Err(_) => return refused(Vec::new(), None),
    };
    match f.metadata() {
        Ok(m) if m.is_dir() => return refused(Vec::new(), None), // fgets: EISDIR
        Ok(m) if m.is_file() && m.len() <= MAX_BYTES => {}
        _ => return Verdict::Unknown,
    }
    let mut bytes = Vec::new();
    if f.take(MAX_BYTES + 1).read_to_end(&mut bytes).is_err() {
        return refused(Vec::new(), None);
    }
    let mut applied: Vec<u8> = Vec::new();
    for raw in fgets_lines(&bytes) {
        match line(raw, file, depth) {
            Line::Applied(l) => applied.extend_from_slice(&l),
            Line::Refused(then) => return refused(applied, then),
            Line::Unknown => return Verdict::Unknown,
        }
    }
    Verdict::Whole
}

/// The lines libpulse applies of `file`, in its order, `.include`s expanded: `key = value` lines
/// (comments cut, as `parse_line` reads them) and section headers, up to a refused line.
pub fn applied_lines(file: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    expand(judge(file), file, 0, &mut out);
    out
}

fn expand(verdict: Verdict, file: &Path, depth: usize, out: &mut Vec<Vec<u8>>) {
    let text = match verdict {
        _ if depth > MAX_DEPTH => return,
        Verdict::Unknown => return,
        Verdict::Whole => match fs::read(file) {
            Ok(b) => b,
            Err(_) => return,
        },
        Verdict::Refused { applied, then } => {
            expand_text(&applied, file, depth, out);
            if let Some(v) = then {
                expand(*v, file, depth + 1, out);
            }
            return;
        }
    };
    expand_text(&text, file, depth, out);
}

/// Lines of a text libpulse applies whole (a file it reads to the end, or the applied part of
/// one it refused: relative `.include`s there are already absolute).
fn expand_text(text: &[u8], file: &Path, depth: usize, out: &mut Vec<Vec<u8>>) {
    for raw in fgets_lines(text) {
        match line(raw, file, depth) {
            Line::Applied(l) if l.is_empty() => {}
            Line::Applied(l) => match l.strip_prefix(b".include ") {
                Some(t) => {
                    let target = PathBuf::from(OsStr::from_bytes(strip(t)));
                    expand(judge_at(&target, depth + 1), &target, depth + 1, out);
                }
                None => out.push(strip(&l).to_vec()),
            },
            Line::Refused(then) => {
                if let Some(v) = then {
                    expand(*v, file, depth + 1, out);
                }
                return;
            }
            Line::Unknown => return,
        }
    }
}

/// The lines `fgets` returns: up to a newline (kept), at most 4095 bytes, then cut at a NUL (the
/// parser sees a C string).
fn fgets_lines(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let n = bytes
            .iter()
            .take(LINE_MAX)
            .position(|&c| c == b'\n')
            .map_or(bytes.len().min(LINE_MAX), |i| i + 1);
        let chunk = &bytes[..n];
        out.push(&chunk[..chunk.iter().position(|&c| c == 0).unwrap_or(n)]);
        bytes = &bytes[n..];
    }
    out
}

enum Line {
    /// Applied; the line to copy (with its newline).
    Applied(Vec<u8>),
    /// Refused; what libpulse applied of the included file refused in turn, if that is why.
    Refused(Option<Box<Verdict>>),
    Unknown,
}

fn strip(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if !WHITESPACE.contains(c) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., c] = s {
        if !WHITESPACE.contains(c) {
            break;
        }
        s = rest;
    }
    s
}

/// `parse_line` for one line of `file`.
fn line(raw: &[u8], file: &Path, depth: usize) -> Line {
    let start = raw
        .iter()
        .position(|c| !WHITESPACE.contains(c))
        .unwrap_or(raw.len());
    let l = &raw[start..];
    let l = &l[..l
        .iter()
        .position(|c| b"#;\n".contains(c))
        .unwrap_or(l.len())];
    let copy = |l: &[u8]| Line::Applied([l, b"\n"].concat());
    if l.is_empty() {
        return Line::Applied(Vec::new());
    }
    if let Some(rest) = l.strip_prefix(b".include ") {
        let target = include_target(strip(rest), file);
        if !super::pulse_reads::includable(&target) {
            return Line::Unknown;
        }
        return match judge_at(&target, depth + 1) {
            Verdict::Whole => copy(&[b".include ", target.as_os_str().as_bytes()].concat()),
            v @ Verdict::Refused { .. } => Line::Refused(Some(Box::new(v))),
            Verdict::Unknown => Line::Unknown,
        };
    }
    if l[0] == b'[' {
        let ok = l.len() > 1 && l.ends_with(b"]") && &l[1..l.len() - 1] != b"Properties";
        return if ok { copy(l) } else { Line::Refused(None) };
    }
    let Some(eq) = l.iter().position(|&c| c == b'=') else {
        return Line::Refused(None);
    };
    let (key, value) = (strip(&l[..eq]), strip(&l[eq + 1..]));
    let ok = match key {
        b"daemon-binary"
        | b"extra-arguments"
        | b"default-sink"
        | b"default-source"
        | b"default-server"
        | b"default-dbus-server"
        | b"cookie-file" => true,
        b"autospawn"
        | b"disable-shm"
        | b"enable-shm"
        | b"enable-memfd"
        | b"auto-connect-localhost"
        | b"auto-connect-display" => boolean(value),
        b"shm-size-bytes" => atou(value),
        _ => false,
    };
    if ok {
        copy(l)
    } else {
        Line::Refused(None)
    }
}

/// The file an `.include` line names: relative to the including file's directory.
fn include_target(name: &[u8], file: &Path) -> PathBuf {
    if name.first() == Some(&b'/') {
        return PathBuf::from(OsStr::from_bytes(name));
    }
    let f = file.as_os_str().as_bytes();
    let dir = &f[..f.iter().rposition(|&c| c == b'/').unwrap_or(0)];
    PathBuf::from(OsStr::from_bytes(&[dir, b"/", name].concat()))
}

/// `pa_parse_boolean`: the fixed words, else the locale's `YESEXPR` / `NOEXPR` (`pa_match`), in
/// this process's locale, the one libpulse parses in.
fn boolean(v: &[u8]) -> bool {
    let words = [
        "1", "y", "t", "yes", "true", "on", "0", "n", "f", "no", "false", "off",
    ];
    words.iter().any(|w| v.eq_ignore_ascii_case(w.as_bytes()))
        || locale_says(true, v)
        || locale_says(false, v)
}

#[cfg(target_os = "linux")]
fn locale_says(yes: bool, v: &[u8]) -> bool {
    let Ok(v) = std::ffi::CString::new(v) else {
        return false;
    };
    let item = if yes { libc::YESEXPR } else { libc::NOEXPR };
    // SAFETY: nl_langinfo returns a NUL-terminated string owned by libc, read here before any
    // other locale call of this thread; `re` is initialised by regcomp before regexec reads it
    // and freed once, only when regcomp succeeded.
    unsafe {
        let expr = libc::nl_langinfo(item);
        if expr.is_null() || *expr == 0 {
            return false;
        }
        let mut re: libc::regex_t = std::mem::zeroed();
        if libc::regcomp(&mut re, expr, libc::REG_NOSUB | libc::REG_EXTENDED) != 0 {
            return false;
        }
        let hit = libc::regexec(&re, v.as_ptr(), 0, std::ptr::null_mut(), 0) == 0;
        libc::regfree(&mut re);
        hit
    }
}

/// The C locale's expressions (`^[yY]`, `^[nN]`) where libc's are not bound here.
#[cfg(not(target_os = "linux"))]
fn locale_says(yes: bool, v: &[u8]) -> bool {
    let first = v.first().map(u8::to_ascii_lowercase);
    first == Some(if yes { b'y' } else { b'n' })
}

/// `pa_atou`: decimal (leading zeros skipped) or `0x` hexadecimal, no sign, no spaces, no
/// trailing bytes, at most `u32::MAX`.
fn atou(v: &[u8]) -> bool {
    let mut s = v;
    if s.first() != Some(&b'0') || s.get(1) != Some(&b'x') {
        while s.len() > 1 && s[0] == b'0' {
            s = &s[1..];
        }
    }
    let (digits, radix) = match s.strip_prefix(b"0x") {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    !digits.is_empty()
        && digits.iter().all(|c| (*c as char).is_digit(radix))
        && std::str::from_utf8(digits)
            .ok()
            .and_then(|d| u64::from_str_radix(d, radix).ok())
            .is_some_and(|n| n <= u64::from(u32::MAX))
}

#[cfg(test)]
#[path = "pulse_parse_tests.rs"]
mod tests;
