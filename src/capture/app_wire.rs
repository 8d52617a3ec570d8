//! An application capture's one connection to the server: record streams on playback streams
//! (`direct_on_input`), their audio read by one thread into each stream's ring.
//!
//! pcmtap speaks the protocol here itself (the `pulseaudio` crate's message types, the hub's
//! handshake) rather than through the crate's client: that client zero-fills a 1 MiB buffer per
//! read, and ignores the server's `RecordStreamKilled`, which here comes every time an
//! application closes a stream (its callback, and the stream's ring, would live on until the
//! connection closed).
//!
//! Threads: [`Writer`] on the capture's control thread (commands); [`Reader::run`] on
//! `pcmtap-app-read`, the data thread of this source: per data message one read into a buffer
//! that grows once to the largest message and a conversion into the stream's ring (no
//! allocation, no lock); it allocates only for the rare command messages (a stream created or
//! killed).

use std::io::{Cursor, Read};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::Thread;

use crossbeam_queue::ArrayQueue;
use pulseaudio::protocol::{
    self, Command, CreateRecordStreamReply, RecordStreamParams, TagStructReader,
};
use rtrb::Producer;

use super::subscribe_wire::Connection;

/// What the control thread tells the data thread (before it writes the matching command).
pub enum Instr {
    /// The reply to command `seq` creates a stream whose audio (interleaved f32, `channels` per
    /// frame, 1 or 2) goes into this ring.
    Create {
        seq: u32,
        ring: Producer<f32>,
        channels: usize,
    },
    /// Stop delivering stream `channel` (it is being deleted).
    Forget { channel: u32 },
}

/// What the data thread tells the control thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Command `seq` created stream `channel`.
    Created { seq: u32, channel: u32 },
    /// Command `seq` failed.
    Failed { seq: u32 },
    /// The server ended stream `channel` (its playback stream went away).
    Killed { channel: u32 },
}

/// Shared by both sides.
pub struct Link {
    pub instr: ArrayQueue<Instr>,
    pub outcomes: ArrayQueue<Outcome>,
    /// The connection ended (the server went away, or it was shut down).
    pub closed: AtomicBool,
    /// The control thread, woken by each outcome.
    pub control: Thread,
}

impl Link {
    pub fn new(control: Thread) -> Self {
        Self {
            instr: ArrayQueue::new(64),
            outcomes: ArrayQueue::new(64),
            closed: AtomicBool::new(false),
            control,
        }
    }
}

/// Opens the connection (handshake as the hub's, as "pcmtap application capture").
pub fn connect(sock: UnixStream) -> Result<(Writer, Reader), protocol::ProtocolError> {
    let (sock, version) = Connection::open(sock, "pcmtap application capture")?;
    let reader = sock.try_clone()?;
    Ok((
        Writer {
            sock,
            version,
            seq: 10,
        },
        Reader {
            sock: reader,
            version,
            streams: Vec::with_capacity(super::super::core::MAX_INPUTS),
            pending: Vec::with_capacity(8),
        },
    ))
}

/// The command side (control thread).
pub struct Writer {
    sock: UnixStream,
    version: u16,
    seq: u32,
}

impl Writer {
    /// Sends `CreateRecordStream`; its ring must be queued first with the returned seq, so the
    /// seq is taken here and handed to `before` before anything is written.
    pub fn create(
        &mut self,
        params: RecordStreamParams,
        before: impl FnOnce(u32),
    ) -> Result<u32, protocol::ProtocolError> {
        self.seq += 1;
        before(self.seq);
        protocol::write_command_message(&mut self.sock, self.seq, &Command::CreateRecordStream(params), self.version)?;
        Ok(self.seq)
    }

    pub fn delete(&mut self, channel: u32) -> Result<(), protocol::ProtocolError> {
        self.seq += 1;
        protocol::write_command_message(&mut self.sock, self.seq, &Command::DeleteRecordStream(channel), self.version)
    }

    /// Ends the connection: the data thread's read returns and it ends.
    pub fn shutdown(&self) {
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}

/// The largest frame a stream has: 2 channels of f32.
const MAX_FRAME: usize = 8;

struct Stream {
    channel: u32,
    ring: Producer<f32>,
    /// Bytes per frame (4 × channels).
    frame: usize,
    /// Bytes of a frame split across two messages.
    carry: [u8; MAX_FRAME],
    held: usize,
}

/// The data side (`pcmtap-app-read`).
pub struct Reader {
    sock: UnixStream,
    version: u16,
    streams: Vec<Stream>,
    pending: Vec<(u32, Producer<f32>, usize)>,
}

impl Reader {
    /// Reads until the connection ends; then marks the link closed and wakes the control thread.
    pub fn run(mut self, link: Arc<Link>) {
        let mut head = [0u8; protocol::DESCRIPTOR_SIZE];
        let mut buf: Vec<u8> = vec![0; 64 * 1024];
        loop {
            if self.sock.read_exact(&mut head).is_err() {
                break;
            }
            let Ok(desc) = protocol::read_descriptor(&mut &head[..]) else { break };
            let len = desc.length as usize;
            if len > protocol::MAX_MEMBLOCKQ_LENGTH {
                break;
            }
            if buf.len() < len {
                buf.resize(len, 0); // grows to the largest message once
            }
            if self.sock.read_exact(&mut buf[..len]).is_err() {
                break;
            }
            self.apply(&link);
            if desc.channel == u32::MAX {
                self.command(&buf[..len], &link);
            } else if let Some(s) = self.streams.iter_mut().find(|s| s.channel == desc.channel) {
                s.write(&buf[..len]);
            }
        }
        link.closed.store(true, Ordering::Release);
        link.control.unpark();
    }

    /// The control thread's instructions since the last message.
    fn apply(&mut self, link: &Link) {
        while let Some(i) = link.instr.pop() {
            match i {
                Instr::Create {
                    seq,
                    ring,
                    channels,
                } => self.pending.push((seq, ring, channels)),
                Instr::Forget { channel } => self.streams.retain(|s| s.channel != channel),
            }
        }
    }

    fn command(&mut self, payload: &[u8], link: &Link) {
        let mut cur = Cursor::new(payload);
        let Ok((seq, cmd)) = Command::read_tag_prefixed(&mut cur, self.version) else {
            return;
        };
        let outcome = match cmd {
            Command::Reply => {
                let Some(at) = self.pending.iter().position(|(s, _, _)| *s == seq) else {
                    return; // the reply to a delete
                };
                let (_, ring, channels) = self.pending.swap_remove(at);
                match TagStructReader::new(&mut cur, self.version).read::<CreateRecordStreamReply>() {
                    Ok(r) => {
                        self.streams.push(Stream {
                            channel: r.channel,
                            ring,
                            frame: 4 * channels.clamp(1, MAX_FRAME / 4),
                            carry: [0; MAX_FRAME],
                            held: 0,
                        });
                        Outcome::Created { seq, channel: r.channel }
                    }
                    Err(_) => Outcome::Failed { seq },
                }
            }
            Command::Error(_) => {
                let before = self.pending.len();
                self.pending.retain(|(s, _, _)| *s != seq);
                if self.pending.len() == before {
                    return; // a delete of a stream the server had already ended
                }
                Outcome::Failed { seq }
            }
            Command::RecordStreamKilled(channel) => {
                self.streams.retain(|s| s.channel != channel);
                Outcome::Killed { channel }
            }
            _ => return,
        };
        let _ = link.outcomes.push(outcome);
        link.control.unpark();
    }
}

impl Stream {
    /// Little-endian f32 bytes into the ring, in whole frames (a message may end inside one:
    /// its bytes wait for the next). A full ring drops whole frames, so the channels never
    /// swap (the mixer keeps far less than the ring holds). Real-time safe.
    fn write(&mut self, mut bytes: &[u8]) {
        let frame = self.frame;
        if self.held > 0 {
            let n = (frame - self.held).min(bytes.len());
            self.carry[self.held..self.held + n].copy_from_slice(&bytes[..n]);
            self.held += n;
            bytes = &bytes[n..];
            if self.held < frame {
                return;
            }
            self.held = 0;
            let carry = self.carry;
            self.push_frames(&carry[..frame]);
        }
        let whole = bytes.len() / frame * frame;
        self.push_frames(&bytes[..whole]);
        let rest = &bytes[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.held = rest.len();
    }

    /// Whole frames of `bytes` into the ring, as many as fit.
    fn push_frames(&mut self, bytes: &[u8]) {
        let per = self.frame / 4;
        let n = (bytes.len() / self.frame).min(self.ring.slots() / per) * per;
        if let Ok(chunk) = self.ring.write_chunk_uninit(n) {
            chunk.fill_from_iter(
                bytes[..n * 4]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
    }
}

#[cfg(test)]
#[path = "app_wire_tests.rs"]
mod tests;
