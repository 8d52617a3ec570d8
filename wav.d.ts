// `pcmtap/wav` (lib/wav.js): a WAV file writer for a Capture's packets.
import type { PathLike } from 'node:fs'

/** `new WavWriter()`'s options: the first three are a Capture's own (same rules, same defaults). */
export interface WavWriterOptions {
  /** Frames per second, an integer from 1000 to 384000 (as `CaptureOptions.sampleRate`). Default 48000. */
  sampleRate?: number
  /** Interleaved channels, 1 to 32; more than 2 are written as WAVE_FORMAT_EXTENSIBLE. Default 2. */
  channels?: number
  /** `'s16'` (16-bit PCM, default) or `'f32'` (32-bit IEEE float, with a `fact` chunk), little-endian. */
  format?: 's16' | 'f32'
  /** Rewrite the header's sizes after this many data bytes (0: after every write), so the file is readable while it grows. Default: one second of audio. */
  updateEveryBytes?: number
  /** Stop writing at this many data bytes (whole frames); 0 to `RIFF_MAX`, capped at what RIFF's 32-bit sizes allow (the default). */
  maxDataBytes?: number
}

/** 2^32 − 1: RIFF's largest size, the bound on `maxDataBytes`. */
export declare const RIFF_MAX: number

/**
 * Writes a WAV file synchronously, packet by packet, keeping its header right while it grows.
 * JS thread; every method is synchronous.
 */
export declare class WavWriter {
  /**
   * Creates (or truncates) `path` and writes the header. Throws TypeError or RangeError
   * (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`) naming the option
   * before the file is touched, and the fs error (`ENOENT`, `EACCES`, …) if it cannot be created.
   */
  constructor(path: PathLike, options?: WavWriterOptions)
  /**
   * Appends whole frames synchronously (the caller may release the buffer right after) and
   * returns the bytes written: all of them, or at the limit as many whole frames as fit, then 0.
   * Throws `ERR_INVALID_ARG_TYPE` for a non-ArrayBufferView, `ERR_OUT_OF_RANGE` for a partial
   * frame, `ERR_INVALID_STATE` after close().
   */
  write(buf: ArrayBufferView): number
  /** Writes the final sizes and closes the file. Idempotent. */
  close(): void
  /** Bytes of sample data written so far. */
  readonly dataBytes: number
  /** Bytes of sample data that still fit under the limit (whole frames). */
  readonly room: number
}
