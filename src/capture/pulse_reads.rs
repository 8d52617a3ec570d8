//! Which `client.conf` files libpulse 16.1 reads when `PULSE_CLIENTCONFIG` is unset, in its
//! order, and pcmtap's configuration text that includes exactly those, then turns shared
//! memory off. Read from libpulse's source (`pa_open_config_file` in `pulsecore/core-util.c`,
//! `pa_get_home_dir` in `pulse/util.c`, `pa_config_parse` and `parse_line` in
//! `pulsecore/conf-parser.c`, tag v16.1) and checked with strace (parecord, pactl and a pcmtap
//! capture open these files in this order). The `.d` order and booleans follow this process's
//! locale as libpulse's do (Node sets none: the C locale).
//!
//! Threads: JS thread, once per process (`pulse_conf::disable_shm`).

use std::ffi::{CStr, OsStr, OsString};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::pulse_parse::{judge, Verdict};

/// The files libpulse reads, in its order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LibpulseReads {
    /// The one main file: `$PULSE_CONFIG_PATH/client.conf` when that variable is set (even
    /// empty), else `<home>/.pulse/client.conf`, else `<home>/.config/pulse/client.conf` (never
    /// `$XDG_CONFIG_HOME`), else, when those did not exist, `/etc/pulse/client.conf`. `None`
    /// when none opens, or when there is no absolute home directory (libpulse then reads nothing,
    /// not even the system's file). A directory "opens" too: libpulse reads nothing from it but
    /// still reads its `.d` files.
    pub main: Option<PathBuf>,
    /// `<main>.d/*.conf` (any entry whose name ends in `.conf`), in `alphasort` order (by bytes in
    /// the C locale), each parsed on its own after the main file.
    pub dot_d: Vec<PathBuf>,
}

/// Finds the files as libpulse would, with `env` for the environment. `cwd`: where a relative
/// `PULSE_CONFIG_PATH` is resolved (libpulse opens it relative to the working directory).
pub fn libpulse_reads(env: &dyn Fn(&str) -> Option<OsString>, cwd: Option<&Path>) -> LibpulseReads {
    let mut tried: Vec<PathBuf> = Vec::new();
    if let Some(dir) = env("PULSE_CONFIG_PATH") {
        tried.push(join_like_c(&dir, "/client.conf"));
    } else if let Some(home) = home_dir(env) {
        tried.push(join_like_c(home.as_os_str(), "/.pulse/client.conf"));
        tried.push(join_like_c(home.as_os_str(), "/.config/pulse/client.conf"));
    } else {
        return LibpulseReads::default();
    }
    let mut last_error = ErrorKind::NotFound;
    let mut main = None;
    for p in tried {
        let p = if p.is_absolute() {
            p
        } else {
            match cwd {
                Some(c) => c.join(p),
                None => continue,
            }
        };
        match open_nonblocking(&p) {
            Ok(_) => {
                main = Some(p);
                break;
            }
            Err(e) => last_error = e.kind(),
        }
    }
    if main.is_none() && last_error == ErrorKind::NotFound {
        let system = PathBuf::from("/etc/pulse/client.conf");
        main = open_nonblocking(&system).is_ok().then_some(system);
    }
    main.map_or_else(LibpulseReads::default, with_dot_d)
}

/// The files a libpulse context reads now: `$PULSE_CLIENTCONFIG` (pcmtap's own file once set, or
/// the user's) with its `.d` directory, else those of [`libpulse_reads`].
pub fn effective_reads(env: &dyn Fn(&str) -> Option<OsString>, cwd: Option<&Path>) -> LibpulseReads {
    match env("PULSE_CLIENTCONFIG") {
        Some(f) => with_dot_d(cwd.map_or_else(|| PathBuf::from(&f), |c| c.join(&f))),
        None => libpulse_reads(env, cwd),
    }
}

/// `main` and the `<main>.d/*.conf` files libpulse parses after it.
fn with_dot_d(main: PathBuf) -> LibpulseReads {
    let mut dot_d: Vec<PathBuf> = fs::read_dir(join_like_c(main.as_os_str(), ".d"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().as_bytes().ends_with(b".conf"))
        .map(|e| e.path())
        .collect();
    dot_d.sort_by(|a, b| alphasort(a, b));
    LibpulseReads {
        main: Some(main),
        dot_d,
    }
}

/// `alphasort` of two entries of one directory: `strcoll` of their names, in this process's
/// locale (byte order in the C locale, which Node keeps).
fn alphasort(a: &Path, b: &Path) -> std::cmp::Ordering {
    let name = |p: &Path| {
        std::ffi::CString::new(p.file_name().unwrap_or_default().as_bytes()).unwrap_or_default()
    };
    let (a, b) = (name(a), name(b));
    // SAFETY: both are NUL-terminated strings that live across the call.
    unsafe { libc::strcoll(a.as_ptr(), b.as_ptr()) }.cmp(&0)
}

/// `open(O_RDONLY)` as libpulse's `fopen`, without waiting on a FIFO.
fn open_nonblocking(p: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
}

/// `"%s" "/…"` as libpulse's `pa_sprintf_malloc` builds its paths: plain concatenation (an empty
/// `PULSE_CONFIG_PATH` gives `/client.conf`).
fn join_like_c(a: &OsStr, tail: &str) -> PathBuf {
    let mut s = a.to_os_string();
    s.push(tail);
    PathBuf::from(s)
}

/// libpulse's home directory: `$HOME`, else `$USERPROFILE`, else the passwd entry of the real
/// uid; `None` unless absolute (an empty `HOME` is not: libpulse then reads no file at all).
pub fn home_dir(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let home = env("HOME")
        .or_else(|| env("USERPROFILE"))
        .or_else(passwd_home)?;
    Some(PathBuf::from(home)).filter(|p| p.as_os_str().as_bytes().first() == Some(&b'/'))
}

fn passwd_home() -> Option<OsString> {
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: `pwd` is written by getpwuid_r before it is read (only when it returns 0 with a
    // non-null result); its strings point into `buf`, which outlives every use below.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::getuid(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        Some(OsStr::from_bytes(CStr::from_ptr(pwd.pw_dir).to_bytes()).to_os_string())
    }
}

/// Whether `.include <path>` makes libpulse open exactly `path`: `parse_line` cuts the line at
/// the first `#`, `;` or newline, strips spaces, tabs and newlines at both ends, and `fgets`
/// reads at most 4095 bytes of a line; and never a relative path (it would be resolved against
/// pcmtap's own file).
pub fn includable(path: &Path) -> bool {
    let b = path.as_os_str().as_bytes();
    let edge = |c: Option<&u8>| matches!(c, Some(b' ' | b'\t'));
    b.first() == Some(&b'/')
        && !b.iter().any(|c| matches!(c, b'\n' | b'#' | b';'))
        && !edge(b.last())
        // The line with its newline fits the 4096-byte buffer with its NUL.
        && b".include ".len() + b.len() + "\n".len() < 4096
}

/// pcmtap's configuration: shared memory off, the files libpulse would read in its order, then
/// shared memory off again (so it wins over theirs). A file libpulse refuses a line of is not
/// included (the refusal would end this file's parse there) but what libpulse applies of it is
/// copied (`pulse_parse.rs`); the first line keeps shared memory off should a file change into
/// one refused after this was written. Also returns the files no line can name (left out).
pub fn config_text(reads: &LibpulseReads) -> (Vec<u8>, Vec<PathBuf>) {
    let mut text = b"# pcmtap: libpulse's own client.conf files, shared memory off \
                     (src/capture/pulse_conf.rs)\nenable-shm = no\n"
        .to_vec();
    let mut left_out = Vec::new();
    // A main file that is a directory gives libpulse nothing (and `.include` of it would end
    // this file's parse): only its `.d` files count then.
    let main = reads.main.iter().filter(|p| !p.is_dir());
    // Same for `.d` entries that are directories (named `*.conf`).
    let dot_d = reads.dot_d.iter().filter(|p| !p.is_dir());
    for p in main.chain(dot_d) {
        if !includable(p) {
            left_out.push(p.clone());
            continue;
        }
        let mut verdict = judge(p);
        if let Verdict::Whole | Verdict::Unknown = verdict {
            text.extend_from_slice(b".include ");
            text.extend_from_slice(p.as_os_str().as_bytes());
            text.push(b'\n');
        }
        // What libpulse applies of a file it refuses a line of: copied, as the refusal would
        // end this file's parse and skip the files after it.
        while let Verdict::Refused { applied, then } = verdict {
            text.extend_from_slice(&applied);
            verdict = then.map_or(Verdict::Whole, |v| *v);
        }
    }
    text.extend_from_slice(b"enable-shm = no\n");
    (text, left_out)
}
