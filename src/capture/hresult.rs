//! Windows HRESULTs in cpal's error messages, named in words.
//!
//! cpal's WASAPI host turns a failed COM call into an `io::Error` message. Most audio HRESULTs
//! (`AUDCLNT_E_*`) have no system message text, so `FormatMessageW` fails and the message
//! reads "OS Error -2004287484 (FormatMessageW() returned error 317) (os error -2004287484)",
//! which names nothing. [`describe`] rewrites such messages with the HRESULT's name, hex value
//! and meaning; [`code_of`] reads the HRESULT back out of a message (for error kinds cpal
//! leaves generic, such as `E_ACCESSDENIED`). Plain string work, so it is compiled and tested
//! on every platform; only Windows messages ever contain the patterns.
//!
//! Threads: JS thread and cpal's error callback (not the data callback).

use std::borrow::Cow;

/// `E_ACCESSDENIED`: on Windows 10/11 also what a capture gets when the microphone privacy
/// setting denies desktop apps.
pub const E_ACCESSDENIED: u32 = 0x8007_0005;
/// `AUDCLNT_E_WRONG_ENDPOINT_TYPE`: e.g. a loopback capture the audio stack cannot do.
pub const AUDCLNT_E_WRONG_ENDPOINT_TYPE: u32 = 0x8889_0003;

/// Name and meaning of the HRESULTs a capture meets (Audioclient.h, winerror.h).
const KNOWN: &[(u32, &str, &str)] = &[
    (0x8889_0001, "AUDCLNT_E_NOT_INITIALIZED", "the audio client is not initialized"),
    (0x8889_0002, "AUDCLNT_E_ALREADY_INITIALIZED", "the audio client is already initialized"),
    (
        AUDCLNT_E_WRONG_ENDPOINT_TYPE,
        "AUDCLNT_E_WRONG_ENDPOINT_TYPE",
        "the endpoint cannot be used this way (a loopback capture the audio stack does not support, or capture from an output)",
    ),
    (0x8889_0004, "AUDCLNT_E_DEVICE_INVALIDATED", "the audio device was removed, disabled or reset"),
    (0x8889_0005, "AUDCLNT_E_NOT_STOPPED", "the stream is not stopped"),
    (0x8889_0006, "AUDCLNT_E_BUFFER_TOO_LARGE", "the requested buffer is too large"),
    (0x8889_0007, "AUDCLNT_E_OUT_OF_ORDER", "a buffer call out of order"),
    (0x8889_0008, "AUDCLNT_E_UNSUPPORTED_FORMAT", "the device does not support this format"),
    (0x8889_0009, "AUDCLNT_E_INVALID_SIZE", "an invalid buffer size"),
    (0x8889_000A, "AUDCLNT_E_DEVICE_IN_USE", "the device is in use in exclusive mode"),
    (0x8889_000B, "AUDCLNT_E_BUFFER_OPERATION_PENDING", "a buffer operation is pending"),
    (0x8889_000C, "AUDCLNT_E_THREAD_NOT_REGISTERED", "the thread is not registered"),
    (0x8889_000E, "AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED", "exclusive mode is not allowed on this device"),
    (0x8889_000F, "AUDCLNT_E_ENDPOINT_CREATE_FAILED", "the audio endpoint could not be created"),
    (0x8889_0010, "AUDCLNT_E_SERVICE_NOT_RUNNING", "the Windows Audio service is not running"),
    (0x8889_0013, "AUDCLNT_E_EVENTHANDLE_NOT_SET", "the event handle is not set"),
    (0x8889_0016, "AUDCLNT_E_BUFFER_SIZE_ERROR", "the buffer size is not valid"),
    (0x8889_0017, "AUDCLNT_E_CPUUSAGE_EXCEEDED", "the audio engine exceeded its CPU budget"),
    (0x8889_0019, "AUDCLNT_E_BUFFER_SIZE_NOT_ALIGNED", "the buffer size is not aligned"),
    (0x8889_0020, "AUDCLNT_E_INVALID_DEVICE_PERIOD", "the device period is not valid"),
    (0x8889_0026, "AUDCLNT_E_RESOURCES_INVALIDATED", "the audio resources were invalidated"),
    (
        E_ACCESSDENIED,
        "E_ACCESSDENIED",
        "access denied (on Windows 10/11: is microphone access for desktop apps off in Settings > Privacy?)",
    ),
    (0x8007_000E, "E_OUTOFMEMORY", "out of memory"),
    (0x8007_0057, "E_INVALIDARG", "an invalid argument"),
    (0x8007_0490, "E_NOTFOUND", "element not found"),
    (0x8000_4001, "E_NOTIMPL", "not implemented"),
    (0x8000_4005, "E_FAIL", "unspecified failure"),
    (0x8000_FFFF, "E_UNEXPECTED", "unexpected failure"),
];

fn known(code: u32) -> Option<(&'static str, &'static str)> {
    KNOWN.iter().find(|k| k.0 == code).map(|k| (k.1, k.2))
}

/// The signed decimal number that starts `s` (an HRESULT as `io::Error` prints it), as u32.
fn leading_int(s: &str) -> Option<(u32, usize)> {
    let len = s
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || (i == 0 && c == '-'))
        .count();
    let n: i64 = s[..len].parse().ok()?;
    Some((n as i32 as u32, len))
}

/// The failure HRESULT in a message ("OS Error <n>" or "(os error <n>)"), if any. Positive
/// numbers there are Win32 error codes, which have system text: not taken.
pub fn code_of(message: &str) -> Option<u32> {
    ["OS Error ", "(os error "].iter().find_map(|marker| {
        let at = message.find(marker)? + marker.len();
        leading_int(&message[at..])
            .map(|(code, _)| code)
            .filter(|code| code & 0x8000_0000 != 0)
    })
}

/// `message` with its HRESULT named: "NAME (0xXXXXXXXX): meaning" in place of a failed
/// FormatMessageW, the name beside the system text otherwise. Unchanged without an HRESULT.
pub fn describe(message: &str) -> Cow<'_, str> {
    let Some(code) = code_of(message) else {
        return Cow::Borrowed(message);
    };
    let named = match known(code) {
        Some((name, meaning)) => format!("{name} (0x{code:08X}): {meaning}"),
        None => format!("HRESULT 0x{code:08X}"),
    };
    let mut out = message.to_string();
    // "OS Error <n> (FormatMessageW() returned error <k>)": std's text when Windows has none.
    if let Some(start) = out.find("OS Error ") {
        let rest = &out[start + "OS Error ".len()..];
        if let Some((_, len)) = leading_int(rest) {
            let tail = &rest[len..];
            let fm = " (FormatMessageW() returned error ";
            let end = match tail.strip_prefix(fm) {
                Some(after) => after.find(')').map(|i| fm.len() + i + 1),
                None => Some(0),
            };
            if let Some(end) = end {
                let stop = start + "OS Error ".len() + len + end;
                out.replace_range(start..stop, &named);
                // The code again at the end ("(os error <n>)"): said once is enough.
                if let Some(at) = out.find(" (os error ") {
                    if let Some(close) = out[at..].find(')') {
                        out.replace_range(at..at + close + 1, "");
                    }
                }
                return Cow::Owned(out);
            }
        }
    }
    // "<system text> (os error <n>)": keep the text, name the code.
    if let Some(at) = out.find("(os error ") {
        if let Some(close) = out[at..].find(')') {
            out.replace_range(at..at + close + 1, &format!("({named})"));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_format_message_becomes_the_name_and_meaning() {
        let m = "capture failed: OS Error -2004287484 (FormatMessageW() returned error 317) (os error -2004287484)";
        assert_eq!(
            describe(m),
            "capture failed: AUDCLNT_E_DEVICE_INVALIDATED (0x88890004): the audio device was removed, disabled or reset"
        );
        assert_eq!(code_of(m), Some(0x8889_0004));
    }

    #[test]
    fn the_loopback_refusal_names_wrong_endpoint_type() {
        let m = "Failed to get capture client: OS Error -2004287485 (FormatMessageW() returned error 317)";
        let d = describe(m);
        assert!(
            d.starts_with(
                "Failed to get capture client: AUDCLNT_E_WRONG_ENDPOINT_TYPE (0x88890003): "
            ),
            "{d}"
        );
        assert!(!d.contains("FormatMessageW"), "{d}");
        assert_eq!(code_of(m), Some(AUDCLNT_E_WRONG_ENDPOINT_TYPE));
    }

    #[test]
    fn system_text_is_kept_and_the_code_named() {
        let m = "cannot open 'x': Access is denied. (os error -2147024891)";
        let d = describe(m);
        assert!(
            d.starts_with(
                "cannot open 'x': Access is denied. (E_ACCESSDENIED (0x80070005): access denied"
            ),
            "{d}"
        );
        assert_eq!(code_of(m), Some(E_ACCESSDENIED));
    }

    #[test]
    fn unknown_codes_are_shown_in_hex_and_other_messages_are_untouched() {
        assert_eq!(
            describe("x: OS Error -2147467259 (FormatMessageW() returned error 317)"),
            "x: E_FAIL (0x80004005): unspecified failure"
        );
        assert_eq!(
            describe("x: OS Error -1 (FormatMessageW() returned error 317) (os error -1)"),
            "x: HRESULT 0xFFFFFFFF"
        );
        assert_eq!(
            describe("capture stalled: no audio for 3 s"),
            "capture stalled: no audio for 3 s"
        );
        assert_eq!(
            describe("The system cannot find the file specified. (os error 2)"),
            "The system cannot find the file specified. (os error 2)"
        );
        assert_eq!(code_of("OS Error x"), None);
    }
}
