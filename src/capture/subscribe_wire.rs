//! The hub's side of the PulseAudio native protocol (which PipeWire's pulse server speaks too):
//! the handshake (auth with the server's cookie, client name, subscribe) and the decoding of
//! subscription events, with the `pulseaudio` crate's message types.
//!
//! Every message is read whole (header, then exactly its payload) before it is decoded, so a
//! message the crate cannot decode (a newer server's command) is skipped without losing the
//! stream's framing.
//!
//! Threads: the hub thread (`subscribe.rs`).

use std::ffi::CString;
use std::io::{BufReader, Cursor, Read};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use pulseaudio::protocol::{
    self, AuthParams, AuthReply, Command, CommandReply, Descriptor, LookupReply, Prop, Props,
    ProtocolError, SetClientNameReply, SinkInfo, SinkInputInfo, SourceOutputInfo, SubscriptionEvent, SubscriptionEventFacility, SubscriptionEventType,
    SubscriptionMask,
};

use super::server_event::{ChangeKind, Facility, ServerEvent};

/// How long the server may take to answer each handshake step (a stopped or wedged server
/// must not hold the hub forever; a stop ends the wait at once anyway).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// What `pactl list clients` shows for the hub's connection.
const CLIENT_NAME: &str = "pcmtap device watch";

/// The events the hub asks for.
pub fn mask() -> SubscriptionMask {
    SubscriptionMask::SINK
        | SubscriptionMask::SOURCE
        | SubscriptionMask::SERVER
        | SubscriptionMask::SOURCE_OUTPUT
        | SubscriptionMask::CARD
        | SubscriptionMask::SINK_INPUT
}

/// A subscribed connection.
pub struct Connection {
    reader: BufReader<UnixStream>,
    version: u16,
}

impl Connection {
    /// Authenticates on `sock` (the cookie from `PULSE_COOKIE`, `~/.config/pulse/cookie` or
    /// `~/.pulse-cookie`; none for servers with anonymous auth), names the client and
    /// subscribes.
    pub fn subscribe(sock: UnixStream) -> Result<Self, ProtocolError> {
        let Connection {
            mut reader,
            version,
        } = Self::handshake(sock)?;
        protocol::write_command_message(reader.get_mut(), 2, &Command::Subscribe(mask()), version)?;
        protocol::read_ack_message(&mut reader)?;
        reader.get_ref().set_read_timeout(None)?;
        Ok(Self { reader, version })
    }

    /// The server's index of the source named `name` (`LookupSource`).
    pub fn source_index(sock: UnixStream, name: &str) -> Result<u32, ProtocolError> {
        let name =
            CString::new(name).map_err(|_| ProtocolError::Invalid("a NUL in a name".into()))?;
        let LookupReply(index) = Self::ask(sock, Command::LookupSource(name))?;
        Ok(index)
    }

    /// The server's default source and default sink names now (`GetServerInfo`).
    pub fn defaults(sock: UnixStream) -> Result<(Option<String>, Option<String>), ProtocolError> {
        let info: protocol::ServerInfo = Self::ask(sock, Command::GetServerInfo)?;
        let name = |c: Option<CString>| c.map(|c| c.to_string_lossy().into_owned());
        Ok((name(info.default_source_name), name(info.default_sink_name)))
    }

    /// Every playback stream of the server (`GetSinkInputInfoList`).
    pub fn sink_inputs(sock: UnixStream) -> Result<Vec<SinkInputInfo>, ProtocolError> {
        Self::ask(sock, Command::GetSinkInputInfoList)
    }

    /// One sink of the server (`GetSinkInfo`).
    pub fn sink(sock: UnixStream, index: u32) -> Result<SinkInfo, ProtocolError> {
        Self::ask(sock, Command::GetSinkInfo(protocol::GetSinkInfo {
            index: Some(index),
            name: None,
        }))
    }

    /// Every record stream of the server (`GetSourceOutputInfoList`).
    pub fn source_outputs(sock: UnixStream) -> Result<Vec<SourceOutputInfo>, ProtocolError> {
        Self::ask(sock, Command::GetSourceOutputInfoList)
    }

    /// One record stream of the server (`GetSourceOutputInfo`).
    pub fn source_output(sock: UnixStream, index: u32) -> Result<SourceOutputInfo, ProtocolError> {
        Self::ask(sock, Command::GetSourceOutputInfo(index))
    }

    /// One question on a connection of its own made for it (the subscription's connection only
    /// reads events).
    fn ask<R: CommandReply>(sock: UnixStream, cmd: Command) -> Result<R, ProtocolError> {
        let Connection {
            mut reader,
            version,
        } = Self::handshake(sock)?;
        protocol::write_command_message(reader.get_mut(), 2, &cmd, version)?;
        let (_, reply) = protocol::read_reply_message::<R>(&mut reader, version)?;
        Ok(reply)
    }

    /// A connection for commands and streams of its own (an application capture's): the
    /// handshake done as `name`, the socket back with no timeout, and the protocol version.
    pub fn open(sock: UnixStream, name: &str) -> Result<(UnixStream, u16), ProtocolError> {
        let Connection { reader, version } = Self::handshake_as(sock, name)?;
        // The server sends nothing unasked after the handshake: no byte is left in the buffer.
        let sock = reader.into_inner();
        sock.set_read_timeout(None)?;
        Ok((sock, version))
    }

    /// Authenticates on `sock` and names the client; reads time out after [`HANDSHAKE_TIMEOUT`].
    fn handshake(sock: UnixStream) -> Result<Self, ProtocolError> {
        Self::handshake_as(sock, CLIENT_NAME)
    }

    fn handshake_as(sock: UnixStream, client_name: &str) -> Result<Self, ProtocolError> {
        sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut reader = BufReader::new(sock);
        let cookie = pulseaudio::cookie_path_from_env()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        let auth = AuthParams {
            version: protocol::MAX_VERSION,
            supports_shm: false,
            supports_memfd: false,
            cookie,
        };
        let max = protocol::MAX_VERSION;
        protocol::write_command_message(reader.get_mut(), 0, &Command::Auth(auth), max)?;
        let (_, reply) = protocol::read_reply_message::<AuthReply>(&mut reader, max)?;
        let version = reply.version.min(max);

        let mut props = Props::new();
        let name = CString::new(client_name)
            .map_err(|_| ProtocolError::Invalid("a NUL in the client name".into()))?;
        props.set(Prop::ApplicationName, name);
        let set_name = Command::SetClientName(props);
        protocol::write_command_message(reader.get_mut(), 1, &set_name, version)?;
        protocol::read_reply_message::<SetClientNameReply>(&mut reader, version)?;
        Ok(Self { reader, version })
    }

    /// Blocks for the next message: `Ok(None)` for one that is not a subscription event; an
    /// error when the connection ended (EOF, shut down, reset) or its framing broke.
    pub fn next_event(&mut self) -> Result<Option<ServerEvent>, ProtocolError> {
        let (desc, payload) = read_message(&mut self.reader)?;
        Ok(decode(&desc, &payload, self.version))
    }
}

/// One whole message: its header and exactly its payload.
pub fn read_message(r: &mut impl Read) -> Result<(Descriptor, Vec<u8>), ProtocolError> {
    let desc = protocol::read_descriptor(r)?;
    let len = desc.length as usize;
    if len > protocol::MAX_MEMBLOCKQ_LENGTH {
        return Err(ProtocolError::Invalid(format!("a {len}-byte message")));
    }
    let mut payload = vec![0; len];
    r.read_exact(&mut payload)?;
    Ok((desc, payload))
}

/// The event a message carries, if it is a subscription event (`channel` -1: a command, not
/// stream data).
pub fn decode(desc: &Descriptor, payload: &[u8], version: u16) -> Option<ServerEvent> {
    if desc.channel != u32::MAX {
        return None;
    }
    match Command::read_tag_prefixed(&mut Cursor::new(payload), version) {
        Ok((_, Command::SubscribeEvent(e))) => Some(event(e)),
        _ => None,
    }
}

fn event(e: SubscriptionEvent) -> ServerEvent {
    use SubscriptionEventFacility as F;
    ServerEvent::Object {
        facility: match e.event_facility {
            F::Source => Facility::Source,
            F::Sink => Facility::Sink,
            F::Server => Facility::Server,
            F::SourceOutput => Facility::SourceOutput,
            F::Card => Facility::Card,
            F::SinkInput => Facility::SinkInput,
            _ => Facility::Other,
        },
        kind: match e.event_type {
            SubscriptionEventType::New => ChangeKind::New,
            SubscriptionEventType::Changed => ChangeKind::Changed,
            SubscriptionEventType::Removed => ChangeKind::Removed,
        },
        index: e.index,
    }
}
