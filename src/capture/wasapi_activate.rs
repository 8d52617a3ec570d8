//! Opens one process loopback client (Windows 10 build 20348 and later): the audio of one
//! process tree, or of everything but one process tree, as an initialised, event-driven
//! `IAudioClient` delivering 32-bit float stereo at the capture's rate.
//!
//! `ActivateAudioInterfaceAsync(VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK, …)` with
//! `AUDIOCLIENT_ACTIVATION_PARAMS` in a `VT_BLOB` PROPVARIANT; the completion handler (an agile
//! COM object, called on a system worker thread) sends the result over a channel, which the
//! caller waits on for at most [`ACTIVATE_TIMEOUT`]. Such a client has no mix format
//! (`GetMixFormat` fails): the format is pcmtap's, the audio engine converts
//! (`AUTOCONVERTPCM`).
//!
//! Threads: a capture thread of `wasapi_loopback.rs` (COM initialised there, multithreaded
//! apartment); the completion handler on a worker thread of the system's.

use std::sync::mpsc::{channel, Sender};
use std::time::Duration;

use windows::core::{implement, IUnknown, Interface, Ref, HRESULT};
use windows::Win32::Foundation::{ERROR_TIMEOUT, HANDLE};
use windows::Win32::Media::Audio::{
    ActivateAudioInterfaceAsync, IActivateAudioInterfaceAsyncOperation,
    IActivateAudioInterfaceCompletionHandler, IActivateAudioInterfaceCompletionHandler_Impl,
    IAudioCaptureClient, IAudioClient, AUDCLNT_SHAREMODE_SHARED,
    AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM, AUDCLNT_STREAMFLAGS_EVENTCALLBACK,
    AUDCLNT_STREAMFLAGS_LOOPBACK, AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY,
    AUDIOCLIENT_ACTIVATION_PARAMS, AUDIOCLIENT_ACTIVATION_PARAMS_0,
    AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK, AUDIOCLIENT_PROCESS_LOOPBACK_PARAMS,
    PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE,
    PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE, VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK,
    WAVEFORMATEX,
};
use windows::Win32::Media::Multimedia::WAVE_FORMAT_IEEE_FLOAT;
use windows::Win32::System::Com::StructuredStorage::{
    PROPVARIANT, PROPVARIANT_0, PROPVARIANT_0_0, PROPVARIANT_0_0_0,
};
use windows::Win32::System::Com::BLOB;
use windows::Win32::System::Variant::VT_BLOB;

use super::hresult::describe;
use crate::error::{Error, ErrorKind};

/// The longest the system may take to complete an activation.
pub const ACTIVATE_TIMEOUT: Duration = Duration::from_secs(5);
/// The client's buffer: 100 ms (reading is event-driven: this is headroom, not latency).
const BUFFER_HNS: i64 = 1_000_000;
/// Channels the client delivers.
pub const CHANNELS: usize = 2;

/// Which process tree a client records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// The process and its descendants.
    Include(u32),
    /// Everything the machine plays except the process and its descendants.
    Exclude(u32),
}

/// A failure HRESULT named: "AUDCLNT_E_… (0x8889…): meaning", or the hex value and the system's
/// text for codes `hresult.rs` does not know.
pub fn named(e: &windows::core::Error) -> String {
    let code = e.code().0;
    let name = describe(&format!("OS Error {code}")).into_owned();
    let text = e.message();
    if name.starts_with("HRESULT ") && !text.is_empty() {
        format!("{name}: {text}")
    } else {
        name
    }
}

/// An activation that failed: what `start()` says (the system has no process loopback, or
/// refused this one); the HRESULT is also its `cause`.
fn refused(what: &str, e: &windows::core::Error) -> Error {
    Error::new(
        ErrorKind::UnsupportedConfig,
        format!(
            "per-application capture on Windows uses process loopback, which needs Windows 10 \
             build 20348 or later (Windows 11, Windows Server 2022); {what} failed: {}",
            named(e)
        ),
    )
    .with_cause(named(e))
}

#[implement(IActivateAudioInterfaceCompletionHandler)]
struct Completion(Sender<windows::core::Result<IUnknown>>);

impl IActivateAudioInterfaceCompletionHandler_Impl for Completion_Impl {
    fn ActivateCompleted(
        &self,
        op: Ref<'_, IActivateAudioInterfaceAsyncOperation>,
    ) -> windows::core::Result<()> {
        let result = op.ok().and_then(|op| {
            let mut hr = HRESULT::default();
            let mut unknown: Option<IUnknown> = None;
            // SAFETY: a live operation handed to this callback; both out-pointers are valid.
            unsafe { op.GetActivateResult(&mut hr, &mut unknown)? };
            hr.ok()?;
            unknown.ok_or_else(|| windows::core::Error::from(HRESULT(0x8000_4005_u32 as i32)))
        });
        let _ = self.0.send(result);
        Ok(())
    }
}

/// A started-to-be client: the audio client, its capture service, and the event it signals.
pub struct Client {
    pub audio: IAudioClient,
    pub capture: IAudioCaptureClient,
}

/// Activates and initialises a process loopback client for `tree`, signalling `event` when a
/// packet is ready. Not started.
///
/// # Errors
/// [`ErrorKind::UnsupportedConfig`] naming the HRESULT when the system has no process loopback
/// (Windows before build 20348, Wine) or refuses this client; [`ErrorKind::StreamError`] when
/// the activated client cannot be initialised.
pub fn open(tree: Tree, rate: u32, event: HANDLE) -> Result<Client, Error> {
    let (pid, mode) = match tree {
        Tree::Include(p) => (p, PROCESS_LOOPBACK_MODE_INCLUDE_TARGET_PROCESS_TREE),
        Tree::Exclude(p) => (p, PROCESS_LOOPBACK_MODE_EXCLUDE_TARGET_PROCESS_TREE),
    };
    let mut params = AUDIOCLIENT_ACTIVATION_PARAMS {
        ActivationType: AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK,
        Anonymous: AUDIOCLIENT_ACTIVATION_PARAMS_0 {
            ProcessLoopbackParams: AUDIOCLIENT_PROCESS_LOOPBACK_PARAMS {
                TargetProcessId: pid,
                ProcessLoopbackMode: mode,
            },
        },
    };
    let blob = PROPVARIANT {
        Anonymous: PROPVARIANT_0 {
            Anonymous: std::mem::ManuallyDrop::new(PROPVARIANT_0_0 {
                vt: VT_BLOB,
                Anonymous: PROPVARIANT_0_0_0 {
                    blob: BLOB {
                        cbSize: std::mem::size_of::<AUDIOCLIENT_ACTIVATION_PARAMS>() as u32,
                        pBlobData: (&mut params as *mut AUDIOCLIENT_ACTIVATION_PARAMS).cast(),
                    },
                },
                ..Default::default()
            }),
        },
    };
    let (tx, rx) = channel();
    let handler: IActivateAudioInterfaceCompletionHandler = Completion(tx).into();
    // SAFETY: `blob` points at `params`, both alive until this function returns (the system
    // copies the parameters during the call); `handler` is a live COM object it keeps a
    // reference to until it completes. The PROPVARIANT owns nothing (no PropVariantClear).
    let started = unsafe {
        ActivateAudioInterfaceAsync(
            VIRTUAL_AUDIO_DEVICE_PROCESS_LOOPBACK,
            &IAudioClient::IID,
            Some(&blob),
            &handler,
        )
    };
    started.map_err(|e| refused("ActivateAudioInterfaceAsync", &e))?;
    let unknown = rx
        .recv_timeout(ACTIVATE_TIMEOUT)
        .unwrap_or_else(|_| Err(windows::core::Error::from(ERROR_TIMEOUT.to_hresult())))
        .map_err(|e| refused("activating the process loopback client", &e))?;
    let audio: IAudioClient = unknown
        .cast()
        .map_err(|e| refused("IAudioClient from the activation", &e))?;
    let block = (CHANNELS * std::mem::size_of::<f32>()) as u16;
    let format = WAVEFORMATEX {
        wFormatTag: WAVE_FORMAT_IEEE_FLOAT as u16,
        nChannels: CHANNELS as u16,
        nSamplesPerSec: rate,
        nAvgBytesPerSec: rate * block as u32,
        nBlockAlign: block,
        wBitsPerSample: 32,
        cbSize: 0,
    };
    let stream = |what: &str, e: windows::core::Error| {
        Error::new(
            ErrorKind::StreamError,
            format!("the process loopback client refused {what}: {}", named(&e)),
        )
    };
    // SAFETY: plain COM calls on the live client; `format` outlives the call.
    unsafe {
        audio
            .Initialize(
                AUDCLNT_SHAREMODE_SHARED,
                AUDCLNT_STREAMFLAGS_LOOPBACK
                    | AUDCLNT_STREAMFLAGS_EVENTCALLBACK
                    | AUDCLNT_STREAMFLAGS_AUTOCONVERTPCM
                    | AUDCLNT_STREAMFLAGS_SRC_DEFAULT_QUALITY,
                BUFFER_HNS,
                0,
                &format,
                None,
            )
            .map_err(|e| stream(&format!("32-bit float stereo at {rate} Hz"), e))?;
        audio
            .SetEventHandle(event)
            .map_err(|e| stream("an event handle", e))?;
        let capture = audio
            .GetService::<IAudioCaptureClient>()
            .map_err(|e| stream("a capture service", e))?;
        Ok(Client { audio, capture })
    }
}
