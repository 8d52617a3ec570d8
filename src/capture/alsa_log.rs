//! libasound's messages while pcmtap probes and opens ALSA devices: kept from stderr, and kept
//! for the error that needs them.
//!
//! libasound prints every `SNDERR` to stderr (16 lines of "ALSA lib confmisc.c:855:(parse_card)
//! cannot find card '0'" … when a machine has no sound card). [`quietly`] runs pcmtap's own
//! probing and opening with a *thread-local* handler (`snd_lib_error_set_local` in alsa/error.h;
//! Debian 12 ships alsa-lib 1.2.8, whose `libasound.so.2` has the 8-byte TLS segment that is
//! this pointer): libasound's default handler passes each message to it instead of printing
//! it, on the thread that installed it only. The handler formats the message as
//! libasound would (`file:line:(function) text: strerror`) into a small fixed ring; when the
//! call fails, the messages it caused become the pcmtap error's `cause`. When it succeeds they
//! are dropped: the device opened, so they were noise.
//!
//! Scope: around pcmtap's calls only ([`devices::list`], [`devices::default_device`],
//! [`DeviceSource::start`]), never process-wide. An application's own global handler
//! (`snd_lib_error_set_handler`) takes precedence: libasound calls the local handler only from
//! its default one, so that application keeps seeing every message (and pcmtap's errors then have
//! no ALSA detail). A local handler the calling thread already had is restored afterwards.
//! Messages from cpal's audio thread (while a stream runs) still reach stderr as before.
//!
//! Why the local handler and not `snd_lib_error_set_handler`: the global handler type is C
//! variadic, which stable Rust cannot define (and a non-variadic stand-in relies on the caller's
//! ABI); the local one takes a `va_list`, which Rust passes on untouched to `vsnprintf`. And a
//! global handler would change what every other ALSA user in the process sees.
//!
//! Threads: the JS thread (listing, `start()`), or the reconnect thread (reopening); never an
//! audio thread. The handler runs on the thread that installed it, inside libasound's call:
//! no allocation of its own and no lock (a stack buffer, then a thread-local ring borrowed with
//! `try_borrow_mut`; glibc's `vsnprintf` allocates only for wide-string or huge-width
//! conversions, which libasound's messages do not use), and no panic (it is called from C).
//!
//! [`devices::list`]: super::devices::list
//! [`devices::default_device`]: super::devices::default_device
//! [`DeviceSource::start`]: super::stream::DeviceSource::start

use crate::error::Error;

/// Messages kept per thread (one failed open of `default` without a card makes 8).
const KEPT: usize = 8;
/// Bytes kept per message (longer ones are cut).
const LEN: usize = 200;

/// Runs `f` with libasound's messages kept from stderr; a failure gets them as its `cause`
/// (after the cause it already has, if any).
#[cfg(server_path)]
pub fn quietly<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let quiet = imp::Quiet::install();
    let result = f();
    let messages = quiet.messages();
    drop(quiet);
    result.map_err(|e| match messages {
        Some(m) => {
            let cause = match e.cause.as_deref() {
                Some(c) => format!("{c}\n{m}"),
                None => m,
            };
            e.with_cause(cause)
        }
        None => e,
    })
}

/// Where there is no libasound: `f` as it is.
#[cfg(not(server_path))]
pub fn quietly<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    f()
}

/// Marks the start of a new attempt on this thread (opening a device after probing others): the
/// messages before it are not the cause of what fails after it.
pub fn fresh() {
    #[cfg(server_path)]
    imp::fresh();
}

/// The last [`KEPT`] messages of a thread, each cut to [`LEN`] bytes. Plain data: tested on
/// every platform.
#[cfg_attr(not(any(server_path, test)), allow(dead_code))]
struct Ring {
    text: [[u8; LEN]; KEPT],
    lens: [usize; KEPT],
    /// Messages seen on this thread, kept or not.
    seen: u64,
    /// [`Ring::seen`] at the last [`fresh`]: no cause reaches back before it.
    floor: u64,
}

#[cfg_attr(not(any(server_path, test)), allow(dead_code))]
impl Ring {
    const fn new() -> Self {
        Self {
            text: [[0; LEN]; KEPT],
            lens: [0; KEPT],
            seen: 0,
            floor: 0,
        }
    }

    /// Keeps `msg` (cut to [`LEN`] bytes), forgetting the oldest beyond [`KEPT`]. No allocation.
    fn push(&mut self, msg: &[u8]) {
        let i = (self.seen % KEPT as u64) as usize;
        let n = msg.len().min(LEN);
        self.text[i][..n].copy_from_slice(&msg[..n]);
        self.lens[i] = n;
        self.seen += 1;
    }

    /// The messages seen since `start` (a [`Ring::seen`] value) and the last [`fresh`], oldest
    /// first, one a line (trailing whitespace cut), a repeat of the line before left out; `None`
    /// if there were none.
    fn since(&self, start: u64) -> Option<String> {
        let start = start.max(self.floor);
        if self.seen <= start {
            return None;
        }
        let first = start.max(self.seen.saturating_sub(KEPT as u64));
        let mut out = String::new();
        if first > start {
            out.push_str(&format!("(earlier messages not kept: {})\n", first - start));
        }
        let mut previous: Option<&[u8]> = None;
        for k in first..self.seen {
            let i = (k % KEPT as u64) as usize;
            // Some plugins end their format with "\n" (libasound then prints an empty line).
            let line = self.text[i][..self.lens[i]].trim_ascii_end();
            if previous != Some(line) {
                out.push_str(&String::from_utf8_lossy(line));
                out.push('\n');
            }
            previous = Some(line);
        }
        out.pop();
        Some(out)
    }
}

#[cfg(server_path)]
mod imp {
    use std::cell::RefCell;
    use std::ffi::{c_char, c_int, c_void, CStr};
    use std::marker::PhantomData;

    use super::{Ring, LEN};

    /// `snd_local_error_handler_t` (alsa/error.h). The last parameter is a C `va_list`, passed
    /// on to `vsnprintf` only, never read here: declared as the pointer it is passed as on the
    /// targets pcmtap builds for (x86_64, aarch64: see [`on_message`]).
    type LocalHandler = unsafe extern "C" fn(
        file: *const c_char,
        line: c_int,
        function: *const c_char,
        err: c_int,
        fmt: *const c_char,
        args: *mut c_void,
    );

    // libasound is linked already (cpal -> alsa -> alsa-sys); vsnprintf is libc's.
    extern "C" {
        fn snd_lib_error_set_local(func: Option<LocalHandler>) -> Option<LocalHandler>;
        fn snd_strerror(errnum: c_int) -> *const c_char;
        fn vsnprintf(s: *mut c_char, n: usize, fmt: *const c_char, args: *mut c_void) -> c_int;
    }

    thread_local! {
        static RING: RefCell<Ring> = const { RefCell::new(Ring::new()) };
    }

    /// The local handler installed on this thread until dropped (then the previous one again).
    /// Not `Send`: it must be dropped on the thread that installed it.
    pub struct Quiet {
        previous: Option<LocalHandler>,
        start: u64,
        _thread: PhantomData<*const ()>,
    }

    impl Quiet {
        pub fn install() -> Self {
            let start = RING.with(|r| r.try_borrow().map_or(u64::MAX, |r| r.seen));
            // SAFETY: sets libasound's thread-local `local_error` pointer and returns the old
            // value; `on_message` has the exact `snd_local_error_handler_t` signature (see
            // `LocalHandler`) and, being a plain function, lives as long as the process.
            let previous = unsafe { snd_lib_error_set_local(Some(on_message)) };
            Self {
                previous,
                start,
                _thread: PhantomData,
            }
        }

        /// The messages libasound sent this thread since [`Quiet::install`].
        pub fn messages(&self) -> Option<String> {
            RING.with(|r| r.try_borrow().ok().and_then(|r| r.since(self.start)))
        }
    }

    pub fn fresh() {
        RING.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.floor = r.seen;
            }
        });
    }

    impl Drop for Quiet {
        fn drop(&mut self) {
            // SAFETY: on the installing thread (`Quiet` is not `Send`); puts back the handler
            // this thread had, which its owner installed as valid.
            unsafe { snd_lib_error_set_local(self.previous) };
        }
    }

    /// A byte buffer that cuts what does not fit (never fails, never allocates).
    struct Cut<'a> {
        buf: &'a mut [u8],
        pos: usize,
    }

    impl Cut<'_> {
        fn put(&mut self, bytes: &[u8]) {
            let n = bytes.len().min(self.buf.len() - self.pos);
            self.buf[self.pos..self.pos + n].copy_from_slice(&bytes[..n]);
            self.pos += n;
        }
    }

    impl std::fmt::Write for Cut<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.put(s.as_bytes());
            Ok(())
        }
    }

    /// A C string's bytes, or `?` for a null pointer.
    ///
    /// # Safety
    /// `p` is null or points to a NUL-terminated string valid for this call.
    unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
        if p.is_null() {
            b"?"
        } else {
            // SAFETY: non-null, NUL-terminated and valid (the caller's contract).
            unsafe { CStr::from_ptr(p) }.to_bytes()
        }
    }

    /// libasound's message, as its default handler prints it (without "ALSA lib "), into this
    /// thread's ring. No allocation, no lock, no panic.
    unsafe extern "C" fn on_message(
        file: *const c_char,
        line: c_int,
        function: *const c_char,
        err: c_int,
        fmt: *const c_char,
        args: *mut c_void,
    ) {
        use std::fmt::Write;
        // One byte more than kept: room for vsnprintf's NUL.
        let mut buf = [0u8; LEN + 1];
        let mut w = Cut {
            buf: &mut buf[..LEN],
            pos: 0,
        };
        // SAFETY: libasound passes `__FILE__` and `__func__`: static C strings (or null).
        let (file, function) = unsafe { (c_bytes(file), c_bytes(function)) };
        w.put(file);
        let _ = write!(w, ":{line}:(");
        w.put(function);
        w.put(b") ");
        let mut pos = w.pos;
        if !fmt.is_null() && pos < LEN {
            // The arguments are formatted where `va_list` is passed as one pointer-sized value:
            // x86_64 (`__va_list_tag[1]`, an array, decays to a pointer) and aarch64 (a 32-byte
            // struct, which AAPCS64 passes by reference), the targets pcmtap builds for.
            // Elsewhere the format string is kept as it is.
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            {
                // SAFETY: `buf[pos..]` has `LEN + 1 - pos` writable bytes, what vsnprintf is told
                // (it writes at most that many, its NUL included); `fmt` and `args` are
                // libasound's own format string and the `va_list` it started for it, handed on
                // once and unread, as its default handler hands them to vfprintf (on these
                // targets the parameter is passed as that pointer, see `LocalHandler`).
                let n = unsafe {
                    vsnprintf(buf.as_mut_ptr().add(pos).cast(), LEN + 1 - pos, fmt, args)
                };
                if n > 0 {
                    pos = (pos + n as usize).min(LEN);
                }
            }
            #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
            {
                let _ = args;
                let mut w = Cut {
                    buf: &mut buf[..LEN],
                    pos,
                };
                // SAFETY: a non-null C format string from libasound.
                w.put(unsafe { c_bytes(fmt) });
                pos = w.pos;
            }
        }
        let mut w = Cut {
            buf: &mut buf[..LEN],
            pos,
        };
        if err != 0 {
            w.put(b": ");
            // SAFETY: snd_strerror returns a static string (libasound's table, or strerror's).
            w.put(unsafe { c_bytes(snd_strerror(err)) });
        }
        let len = w.pos;
        // Borrowed already (never: `messages()` calls no libasound): dropped, not a panic.
        let _ = RING.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.push(&buf[..len]);
            }
        });
    }
}

#[cfg(test)]
#[path = "alsa_log_tests.rs"]
mod tests;
