/// <reference types="node" />
import { EventEmitter } from 'node:events'
import { Readable } from 'node:stream'

/** Options of the synthetic source (a thread that plays the audio thread). */
export interface SyntheticOptions {
  /** `'sine'` (default), `'silence'`, or `'counter'`: every sample of frame n is `n % 32768` (s16; /32768 in f32). */
  waveform?: 'sine' | 'silence' | 'counter'
  /** Sine frequency in Hz, > 0 and < sampleRate / 2. Default 1000. */
  frequency?: number
  /** Sine amplitude, 0 ..= 1 of full scale. Default 0.5. */
  amplitude?: number
  /**
   * true (default): follows a real clock at the sample rate and drops on a pool miss, like a device.
   * false: runs as fast as slots come back and waits for a free slot instead of dropping.
   */
  paced?: boolean
  /** Frames per block the source hands the packetizer (1 ..= 65536), or a list cycled through (irregular sizes, as real hosts deliver). Default 512. */
  blockFrames?: number | number[]
  /** Sample type the source produces before conversion: `'i16'`, `'i32'` or `'f32'` (default). */
  sampleFormat?: 'i16' | 'i32' | 'f32'
}

/**
 * `reconnect: { ... }`: how a device capture waits for its lost device (every field in ms,
 * integers). The wait before attempt n is `initialDelay × 2^(n−1)`, at most `maxDelay`; while the
 * sound server's socket refuses connections it is also checked every 100 ms, and a server that
 * comes back is tried at once.
 */
export interface ReconnectOptions {
  /** Before the first attempt after a loss, 10 ..= 60000. Default 100. */
  initialDelay?: number
  /** Longest wait between attempts, initialDelay ..= 300000. Default max(1000, initialDelay). */
  maxDelay?: number
  /** Give up once the device has been away this long, 100 ..= 86400000: 'error' with DEVICE_LOST, as without reconnect. Default: never (until stop()/close()). */
  giveUpAfter?: number
}

/** Audio hosts; only those compiled into the addon open (see `hosts()`). */
export type HostName = 'alsa' | 'pulseaudio' | 'jack' | 'wasapi' | 'coreaudio'

export interface CaptureOptions {
  /** Where samples come from: a cpal input device (default) or the synthetic source. */
  source?: 'device' | 'synthetic'
  /** Audio host. Default: `'alsa'` on Linux (cheapest measured), the platform's elsewhere. Not compiled in or not running: HOST_UNAVAILABLE at start(). */
  host?: HostName
  /**
   * Device: an id (`'pulseaudio:pcmtap_test.monitor'`, `'alsa:default'` for ALSA's own `default`
   * PCM), `'default'` (the device listDevices() marks isDefault, the same as leaving it out), a
   * name, a case-insensitive substring of one device's name or id (several matches:
   * DEVICE_AMBIGUOUS), or `{ id }` for an exact listed id (never a name). Resolved by start().
   */
  device?: string | { id: string }
  /**
   * Capture what the machine plays: the default sink's monitor (PulseAudio), or the default
   * output device (WASAPI loopback). Exclusive with `device`. Default false. `{ exclude: [pid, …] }`
   * (1 to 64 process ids): every application's playback but those processes', as an
   * application capture (see `application`). Linux: the PulseAudio or PipeWire server; macOS
   * 14.2+: a process tap excluding them; Windows (build 20348+): process loopback excluding one
   * process tree, so exactly one pid (more: UNSUPPORTED_CONFIG).
   */
  loopback?: boolean | { exclude: number[] }
  /** For each output channel, the device channel it comes from (length = channels, indices 0 ..= 31). Default: average down, duplicate up. */
  channelMap?: number[]
  /** Frames per device buffer, 16 ..= 65536; outside what the device supports: UNSUPPORTED_CONFIG at start(). Default: the host's; 1024 on the 'pulseaudio' host (PipeWire's PulseAudio server would pick a 2 s fragment). */
  bufferFrames?: number
  /** Frames per second, integer 1000 ..= 384000. Default 48000. */
  sampleRate?: number
  /** Interleaved channels, integer 1 ..= 32. Default 2. */
  channels?: number
  /** Sample format of delivered packets: `'s16'` (default, little-endian int16) or `'f32'` (little-endian float32). */
  format?: 's16' | 'f32'
  /** Frames per packet, integer 1 ..= floor(4096 / (channels × bytes per sample)). Default 480 (10 ms at 48 kHz). */
  framesPerPacket?: number
  /** Slots of 4096 bytes allocated up front, integer 1 ..= 65536. Default 64. */
  poolSize?: number
  /** true (default): packets are external Buffers over pool memory. false: every packet is copied and its slot freed at once. */
  useExternalBuffer?: boolean
  /** Release each packet right after the synchronous 'data' listeners return. Default false. */
  autoRelease?: boolean
  /**
   * Copy instead of lending while the slots JS holds leave fewer than this many for the
   * producer, so a consumer that never releases degrades to copying instead of dropping.
   * Integer 0 ..= poolSize - 1. Default floor(poolSize / 4).
   */
  lowWaterMark?: number
  /** Options of the synthetic source; only with `source: 'synthetic'` (else ERR_INVALID_ARG_VALUE). */
  synthetic?: SyntheticOptions
  /** Aborting it stops and closes the capture; an already aborted signal makes start() reject with AbortError. */
  signal?: AbortSignal
  /**
   * Device sources only (with the synthetic source: ERR_INVALID_ARG_VALUE). true or
   * `{ ... }`: a lost device (DEVICE_LOST: unplugged, sound server gone) does not end the capture:
   * 'disconnect' is emitted, the same device (the id start() resolved, never a re-resolved
   * default) is reopened off the JS thread with backoff, and 'reconnect' comes before its first
   * packet, which carries `gapFrames`. start() itself still rejects if the device cannot be
   * opened then. Default false.
   */
  reconnect?: boolean | ReconnectOptions
  /**
   * A capture of the default (no `device`, `device: 'default'`, or `loopback: true`) follows the
   * default when the sound server's default source (with `loopback`, default sink) changes:
   * 'devicechange' is emitted, the new default is captured, the first packet after the switch
   * is flagged (`discontinuity`, `gapFrames`), and `stats().device` names the new device.
   * false: the capture keeps the device it opened (if the server moves its stream to another
   * device, DEVICE_LOST, or with `reconnect` 'disconnect' and a wait for that device). Applies
   * to default captures through a PulseAudio or PipeWire server (Linux); elsewhere a default
   * capture keeps its device. Default true.
   */
  followDefault?: boolean
  /**
   * Record one application's audio instead of a device: `{ pid }` (a process id, as
   * `listApplications()` gives it) or `{ name }` (its application name or binary,
   * case-insensitive, among those listed at start()). Every stream it plays is recorded and
   * mixed, as streams come and go; while it plays nothing the packets are silence at the clock's
   * pace (`stats().application.streams` 0); when it exits the capture ends with 'error'
   * APPLICATION_EXITED. Linux: through the PulseAudio or PipeWire server (tested). Windows 10
   * build 20348+: process loopback of the process and its children; older Windows (and Wine):
   * start() rejects with UNSUPPORTED_CONFIG naming the build. macOS 14.2+: a Core Audio process
   * tap (needs the "System Audio Recording" permission; denied, macOS typically delivers silence). Windows and
   * macOS are not tested on real machines. Not with `device`, `loopback: true`, `reconnect` or
   * the synthetic source.
   */
  application?: { pid: number } | { name: string }
}

export interface PacketInfo {
  /** Packet number, continuous from 0 (dropped frames do not consume numbers; see `discontinuity`). */
  seq: number
  /** Frames in this packet: framesPerPacket, or fewer for the last packet after stop(). */
  frames: number
  /** When the packet's first frame was captured, in ms on the `performance.now()` clock. */
  captureTime: number
  /** Frames were lost right before this packet: the pool was empty ('overrun'), the host skipped (xrun), or the device was away (`gapFrames`). */
  discontinuity: boolean
  /** Output frames missing right before this packet because the device was lost and came back (`reconnect`; 'reconnect' is emitted just before it), or because a default capture switched to the new default ('devicechange'); 0 otherwise. */
  gapFrames: number
}

/** A device as `'devicechange'` names it (an id listDevices() lists, and its name). */
export interface DeviceRef {
  id: string
  name: string
}

/** What `'devicechange'` reports: a capture of the default now captures the new default. */
export interface DeviceSwitch {
  /** The device captured until now. */
  from: DeviceRef
  /** The new default, captured from now on. */
  to: DeviceRef
  /** seq of the first packet of the new device (flagged, with the switch's `gapFrames`). */
  seq: number
}

/** What `'reconnect'` reports: the device is back and this is its first packet. */
export interface ReconnectInfo {
  /** Opens it took since the loss (including the one that worked). */
  attempts: number
  /** Output frames missing between the last packet before the loss and this one (also the packet's `info.gapFrames`). */
  gapFrames: number
  /** The same gap in milliseconds (gapFrames / sampleRate × 1000). */
  gapMs: number
  /** seq of the first packet after the gap. */
  seq: number
}

export interface PoolStats {
  /** Slots in the pool. */
  capacity: number
  /** Slots on the free list now. */
  free: number
  /** Slots not free: being filled, queued, or held by JS (lent and not yet released or collected). */
  outstanding: number
  /** Slots lent to JS as external Buffers and neither released nor finalized. */
  heldByJs: number
  /** Most slots ever outstanding at once. */
  highWater: number
  /** Times the producer got a slot. */
  hits: number
  /** Times the producer found no slot (each drops one packet's frames). */
  misses: number
  /** hits / (hits + misses); 1 when nothing was attempted yet. */
  hitRate: number
}

export interface DeliveryStats {
  /** Packets handed to JS. */
  packets: number
  /** Of packets: as external Buffers over pool memory. */
  external: number
  /** Of packets: as copies (copy mode, low-water fallback, or external Buffers refused). */
  copied: number
  /** Of copied: because JS held too many slots (see lowWaterMark). */
  lowWaterCopies: number
  /** External Buffers detached by release() or autoRelease. */
  released: number
  /** Finalizers of external Buffers that ran (after release(), which already freed the slot, or after GC, which frees it then). */
  finalized: number
  /** Packets waiting for the JS thread right now. */
  queued: number
}

/** The device config actually opened (device sources, after start()). */
export interface DeviceStats {
  id: string
  name: string
  host: string
  /** The device's own rate; pcmtap resamples when it differs from the request. */
  sampleRate: number
  channels: number
  /** The sample type the device delivers (`'i16'`, `'f32'`, `'i32'`, `'u8'`, …). */
  format: string
  bufferFrames?: number
  /** Samples reach the packets untouched (same channels and rate; format conversion only). */
  passthrough: boolean
  resampling: boolean
}

export interface AudioStats {
  /** Frames written into packets. */
  frames: number
  /** Frames dropped because the pool was empty, or lost by the host (not the reconnect gaps: see gapFrames). */
  droppedFrames: number
  /** Gaps (runs of dropped frames, host xruns, capture-time jumps, device returns); each flags the next packet. */
  discontinuities: number
  /** Overruns the host reported. */
  xruns: number
  /** Device losses a `reconnect` capture survived ('disconnect' events). `disconnects − reconnects` is 1 while a running capture waits for its device. */
  disconnects: number
  /** Returns of the device after a loss ('reconnect' events). */
  reconnects: number
  /** Output frames missing while the device was away or switching to a new default: every closed gap, and a gap ended by stop(), close() or giving up. frames + droppedFrames + gapFrames follows the clock. */
  gapFrames: number
  /** Switches of a default capture to the new default device ('devicechange' events). */
  deviceChanges: number
}

/**
 * What pcmtap did about libpulse's client configuration for the ALSA `pulse` plugin's
 * connections (process-wide; README "Device capture"). A setup that could not be made safely,
 * or user files left out, also come as one process warning with code `'PCMTAP_PULSE_CONFIG'`.
 */
export interface PulseConfigStats {
  /**
   * `'memfd'`: shared memory off through a sealed in-memory file
   * (`PULSE_CLIENTCONFIG=/proc/self/fd/N`, inherited by child processes);
   * `'file'`: the same through a file in a directory only root and this user can change (no
   * memfd or `/proc` here); `'user'`: your `PULSE_CLIENTCONFIG`, used as is;
   * `'opted-out'`: `PCMTAP_PULSE_SHM=1`; `'unavailable'`: no safe place for pcmtap's
   * configuration, so libpulse reads its own files and shared memory stays on (a server death
   * can then hang the capture thread; warning `PCMTAP_PULSE_CONFIG`).
   */
  setup: 'memfd' | 'file' | 'user' | 'opted-out' | 'unavailable'
  /** Why the safe setup could not be made (`'unavailable'` only). */
  reason?: string
  /**
   * Files libpulse would read that no configuration line can name (a newline, `#` or `;` in the
   * path, whitespace at its end, longer than 4085 bytes): their settings do not apply to
   * pcmtap's connections (warning `PCMTAP_PULSE_CONFIG`). Usually empty.
   */
  notIncluded: string[]
  /**
   * Files libpulse reads (and pcmtap's configuration includes, as libpulse would), or your
   * `PULSE_CLIENTCONFIG` (`'user'`), that another user can create, replace or write: the file, or a directory on its path, is theirs or
   * writable by them, as for root with a user's `HOME` after `sudo -E`. That user then chooses
   * the server and the cookie file libpulse opens, with pcmtap as without it (warning
   * `PCMTAP_PULSE_CONFIG`). Usually empty.
   */
  openToOthers: string[]
}

export interface CaptureStats {
  /** What new packets get: `'external'`, or `'copy'` when asked for or when external Buffers were refused. */
  mode: 'external' | 'copy'
  /** false once the runtime refused an external Buffer (Electron's V8 memory cage); never set back. */
  externalBuffersAllowed: boolean
  running: boolean
  pool: PoolStats
  delivery: DeliveryStats
  audio: AudioStats
  /** Present once a device source has started. */
  device?: DeviceStats
  /** Present once a capture through the ALSA `pulse` plugin (the default device on a sound server) was opened in this process. */
  pulseConfig?: PulseConfigStats
  /** Present once an application capture (`application`, or `loopback: { exclude }`) has started. */
  application?: ApplicationStats
}

/** An application capture's state (`stats().application`). */
export interface ApplicationStats {
  /** The application's name as its server shows it (or, for `exclude`, what is recorded). */
  name: string
  /** The processes followed (empty for `loopback: { exclude }`). */
  pids: number[]
  /** Its playback streams mixed now (0: it plays nothing; packets are silence, at the clock's pace). */
  streams: number
  /** Record streams opened so far: one per playback stream of the application (Windows: per process-loopback ring handed to the mixer; macOS: 1, the tap). */
  streamsOpened: number
  /** Frames delivered while it played nothing. */
  idleFrames: number
  /** Frames of a playing stream that came too late and were replaced by silence. */
  underrunFrames: number
}

/** One application playing audio now (`listApplications()`). */
export interface ApplicationInfo {
  pid: number
  /** The name it gives the sound server (`application.name`). */
  name: string
  /** Its executable's file name. */
  binary: string
  /** The host it plays through: `'pulseaudio'` (the PulseAudio or PipeWire server), `'wasapi'`, `'coreaudio'`. */
  host: 'pulseaudio' | 'wasapi' | 'coreaudio'
  /** Its playback streams now (Windows: its audio sessions playing now, 0 for a paused one; macOS: the output devices it plays to). */
  streams: number
}

/** Stable `err.code` values raised by pcmtap itself. */
export type PcmtapErrorCode =
  | 'CAPTURE_CLOSED'
  | 'ABORT_ERR'
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_AMBIGUOUS'
  | 'HOST_UNAVAILABLE'
  | 'UNSUPPORTED_CONFIG'
  | 'DEVICE_BUSY'
  | 'PERMISSION_DENIED'
  | 'DEVICE_LOST'
  | 'STREAM_ERROR'
  | 'THREAD_SPAWN_FAILED'
  | 'OUT_OF_MEMORY'
  | 'APPLICATION_NOT_FOUND'
  | 'APPLICATION_EXITED'
  | 'NATIVE_ERROR'
/** Codes of option errors (Node's own): TypeError or RangeError, thrown by the constructor. */
export type OptionErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE'

/** An error pcmtap raised or emitted: `code` is stable; `cause` carries the host's message. */
export interface PcmtapError extends Error {
  code: PcmtapErrorCode | OptionErrorCode
  cause?: Error
}

export interface DeviceConfig {
  sampleRate: number
  channels: number
  format: string
}

export interface DeviceInfo {
  /** Pass as `device` (or `{ id }`) with no other option; stable across calls. */
  id: string
  /** The human name (a PulseAudio/PipeWire source's description). */
  name: string
  host: string
  /** `'monitor'`: a sink monitor, what an output plays. */
  kind: 'input' | 'output' | 'monitor'
  isDefault: boolean
  /** null for ALSA devices unless `probe: true` (reading it opens the PCM). */
  defaultConfig: DeviceConfig | null
}

export interface ListDevicesOptions {
  host?: HostName
  kind?: 'input' | 'output' | 'monitor'
  /** Open ALSA PCMs to read their default config. Default false. */
  probe?: boolean
  /** Also list what cannot be captured as such or is not a device users know: ALSA plugin PCMs (`null`, `pulse`, …) and server sinks. Default false. */
  all?: boolean
}

/** Devices of a host (default: the platform's). Synchronous; JS thread. */
export declare function listDevices(options?: ListDevicesOptions): DeviceInfo[]
/** The default input device of a host, or null. */
export declare function defaultDevice(options?: { host?: HostName }): DeviceInfo | null
/**
 * The applications playing audio now, one per process (Linux: the PulseAudio or PipeWire
 * server's playback streams, grouped by `application.process.id`; Windows: the audio sessions
 * of the active outputs, paused ones included with `streams: 0`; macOS 14.2+: the processes
 * playing output). Synchronous, on the JS thread (one question to the server). No server:
 * HOST_UNAVAILABLE; where sessions cannot be enumerated (Wine, macOS before 14.2):
 * UNSUPPORTED_CONFIG.
 */
export declare function listApplications(): ApplicationInfo[]
/** The host used when none is named (`'alsa'` on Linux) and the hosts compiled into this build. */
export declare function hosts(): { default: string; compiled: string[] }

export interface WatchDevicesOptions {
  /** The host whose devices are watched, as `listDevices({ host })` takes it. Default: the platform's. */
  host?: HostName
}

/** What changed since the watcher's previous list (by device id). */
export interface DeviceChange {
  /** Devices listed now and not before. */
  added: DeviceInfo[]
  /** Devices listed before and not now (as they were listed then). */
  removed: DeviceInfo[]
  /** True when the default input (the entry `isDefault`) is another one, or appeared or went. */
  defaultChanged: boolean
  /** The default input now, or null. */
  defaultInput: DeviceInfo | null
}

/**
 * Says when the devices `listDevices({ host })` returns change. Every event runs on the JS
 * thread. On Linux/BSD (hosts `alsa` and `pulseaudio`) all watchers of the process share one
 * subscription to the PulseAudio or PipeWire server's events: a native thread
 * (`pcmtap-devwatch`) reads them and wakes the JS thread once per burst; ~25 ms later the
 * devices are listed (synchronously, on the JS thread) and compared. On Windows (host `wasapi`)
 * they share one `IMMNotificationClient` registration the same way (the system's notification
 * thread wakes the JS thread), and on macOS (host `coreaudio`) CoreAudio's property listeners
 * (type-checked only). Elsewhere (the `jack` and `asio` hosts, or a refused registration)
 * watchers list the devices every second instead (`mechanism: 'poll'`).
 * A watcher never keeps the process alive by itself.
 */
export interface DeviceWatcher extends EventEmitter {
  /** The host watched (undefined: the platform's default). */
  readonly host: HostName | undefined
  /** `'subscription'`: the sound server's events (Linux: changes within ~50 ms) or the system's endpoint notifications (Windows); `'poll'`: `listDevices()` every second. */
  readonly mechanism: 'subscription' | 'poll'
  readonly closed: boolean
  /** Stops this watcher; the last one closed ends the shared subscription. Idempotent. */
  close(): void
  /** Only when something listed changed: a device added or removed, or the default input. A server that goes away removes its devices (one change); back, it adds them. */
  on(event: 'change', listener: (change: DeviceChange) => void): this
  /** Listing the devices failed during a wake; emitted only while an 'error' listener exists (else ignored). */
  on(event: 'error', listener: (err: PcmtapError) => void): this
  once(event: 'change', listener: (change: DeviceChange) => void): this
  once(event: 'error', listener: (err: PcmtapError) => void): this
}

/**
 * Watches the devices of a host. Throws a TypeError (`ERR_INVALID_ARG_TYPE`,
 * `ERR_INVALID_ARG_VALUE`) for bad options, `HOST_UNAVAILABLE` for a host not compiled in, and
 * what `listDevices()` throws for its first list (a compiled host whose sound server is away
 * starts with no devices instead).
 */
export declare function watchDevices(options?: WatchDevicesOptions): DeviceWatcher

export declare const codes: Readonly<{ [K in PcmtapErrorCode]: K }>
/** Bytes in one pool slot. */
export declare const SLOT_BYTES: 4096

/** What `'overrun'` reports: frames the audio thread dropped since the last report. */
export interface OverrunInfo {
  droppedFrames: number
  totalDroppedFrames: number
  /**
   * seq of the packet after the gap (flagged `discontinuity`), or null when reported while the
   * gap goes on (the producer could make no packet yet; the flagged packet reports the rest).
   */
  seq: number | null
}

export interface Packet {
  buffer: Buffer
  info: PacketInfo
}

export interface StreamOptions {
  /** false (default): a byte stream of copies; true: `{ buffer, info }` objects (buffer a copy). */
  objectMode?: boolean
  /** Readable's highWaterMark (bytes, or packets in object mode). */
  highWaterMark?: number
}

export interface PacketsOptions {
  /** Release each packet when the next one is handed out (and the last at break/return). Default false. */
  autoRelease?: boolean
}

/** A Readable of copies that honours backpressure; also emits 'overrun'. */
export interface CaptureStream extends Readable {
  on(event: 'overrun', listener: (info: OverrunInfo) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

export declare class Capture extends EventEmitter {
  /**
   * Reads every option once, validates it (throws TypeError/RangeError with Node's codes) and
   * allocates the pool (throws OUT_OF_MEMORY, catchable, if it cannot be had; the memory is
   * committed only as packets are written).
   */
  constructor(options?: CaptureOptions)
  /**
   * Starts producing; resolves once the source runs (the first packet is possible). Already
   * running: resolves at once. Rejects with CAPTURE_CLOSED after close(), AbortError if the
   * signal was aborted, and for a device source DEVICE_NOT_FOUND, DEVICE_AMBIGUOUS,
   * HOST_UNAVAILABLE, UNSUPPORTED_CONFIG, DEVICE_BUSY, PERMISSION_DENIED or STREAM_ERROR (host
   * message in `cause`). The device is opened synchronously on the JS thread. Called while a
   * stop is delivering its last packets, it starts after 'stop' unless a later stop()/close()
   * asked otherwise (then it resolves without starting): the last call wins.
   */
  start(): Promise<void>
  /**
   * Stops producing; the queued packets (and a last, shorter one) arrive as 'data', then 'stop',
   * then the promise resolves. Not running: resolves at once. Rejects with CAPTURE_CLOSED after
   * close(). A held consumer (a paused stream) delays 'stop' until it has read what was queued.
   * Calls may overlap; none adds a listener to the capture. No 'data' comes after 'stop'.
   */
  stop(): Promise<void>
  /**
   * Stops, delivers what is queued, frees the capture, emits 'close'; idempotent. Delivered
   * Buffers stay valid: the pool is freed now if none points into it, else when the last is
   * released or collected.
   */
  close(): Promise<void>
  /** Same as close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
  /**
   * A Readable over the capture. It hands out copies: a stream consumer keeps Buffers with no
   * signal when it is done, so pool memory cannot be lent to it. Its first read starts the
   * capture; destroyed before its end it stops it; on a closed capture it errors with
   * CAPTURE_CLOSED. A capture error (DEVICE_LOST, ...) destroys it with that error: use
   * `pipeline()`, or an 'error' listener with `.pipe()`.
   */
  stream(options?: StreamOptions): CaptureStream
  /**
   * Async iteration over the capture's own Buffers; the first next() starts the capture if
   * needed, break/return stops it. Overlapping next() calls settle in call order. On a closed
   * capture next() rejects with CAPTURE_CLOSED.
   */
  packets(options?: PacketsOptions): AsyncIterableIterator<Packet>
  /**
   * Detaches a Buffer this capture delivered as external (its length becomes 0) so its slot
   * is back in the pool at once. Returns false for anything else: copies,
   * other Buffers, Node's pooled Buffers, already released ones. Any view works (a Buffer, a
   * typed array or a DataView over the packet's memory). Throws ERR_INVALID_ARG_TYPE
   * for a non-ArrayBufferView. Do not release a Buffer an async consumer may still be reading.
   */
  release(buf: ArrayBufferView): boolean
  /** Exact counters at this instant. */
  stats(): CaptureStats
  readonly running: boolean
  readonly closed: boolean

  on(event: 'data', listener: (buf: Buffer, info: PacketInfo) => void): this
  on(event: 'start' | 'stop' | 'close', listener: () => void): this
  /**
   * The audio thread dropped frames (the pool was full). Every drop is reported: when the gap
   * begins (`seq: null`) if no packet can follow yet, and before the flagged packet.
   */
  on(event: 'overrun', listener: (info: OverrunInfo) => void): this
  /** A fatal device error during capture (e.g. DEVICE_LOST; with `reconnect`, only once `giveUpAfter` passed); emitted after every packet captured before it, right before 'stop' (nothing comes after that). Without a listener it becomes a process warning. */
  on(event: 'error', listener: (err: PcmtapError) => void): this
  /** With `reconnect`: the device was lost (`err.code` DEVICE_LOST, the host's message in `cause`); the capture goes on running and reopens it. Comes after every packet from before the loss. */
  on(event: 'disconnect', listener: (err: PcmtapError) => void): this
  /** With `reconnect`: the device is back; emitted right before the first packet after the gap. */
  on(event: 'reconnect', listener: (info: ReconnectInfo) => void): this
  /** A capture of the default switched to the new default (`followDefault`); emitted after every packet of the old device, right before the first packet of the new one. */
  on(event: 'devicechange', listener: (change: DeviceSwitch) => void): this
  once(event: 'data', listener: (buf: Buffer, info: PacketInfo) => void): this
  once(event: 'start' | 'stop' | 'close', listener: () => void): this
  once(event: 'overrun', listener: (info: OverrunInfo) => void): this
  once(event: 'error', listener: (err: PcmtapError) => void): this
  once(event: 'disconnect', listener: (err: PcmtapError) => void): this
  once(event: 'reconnect', listener: (info: ReconnectInfo) => void): this
  once(event: 'devicechange', listener: (change: DeviceSwitch) => void): this
}
