'use strict'
// `pcmtap/wav`: a WAV file writer (RIFF/WAVE), 16-bit PCM or 32-bit IEEE float, little-endian,
// interleaved: the layout of a Capture's packets. Used by `pcmtap record` and the demo. JS thread;
// every call is synchronous (fs.*Sync).
//
// pcmtap's own rather than taken from npm because it has to do three things the maintained
// packages (wavefile, node-wav) do not: write each packet synchronously straight from its pool
// slot (so the slot can be released right after, no copy), keep the header right while the file
// grows (sizes rewritten every `updateEveryBytes`, so a killed process leaves a readable file),
// and stop cleanly at RIFF's 4 GiB limit.
const fs = require('node:fs')
const { makeError, invalidType, outOfRange } = require('./errors')
const { checkOptions, int, sampleRateOption, channelsOption, formatOption, DEFAULTS } = require('./options')

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_EXTENSIBLE = 0xfffe
/** RIFF's sizes are 32-bit: the largest RIFF chunk size, and so the bound on `maxDataBytes`. */
const RIFF_MAX = 0xffffffff
const OPTIONS = { sampleRate: 1, channels: 1, format: 1, updateEveryBytes: 1, maxDataBytes: 1 }

/** The header bytes and where its size fields are: `{ header, riffAt, dataAt, factAt, blockAlign }`. */
function header({ sampleRate, channels, format }) {
  const bits = format === 'f32' ? 32 : 16
  const blockAlign = (channels * bits) / 8
  // More than 2 channels: WAVE_FORMAT_EXTENSIBLE, as the spec asks (channel mask 0: unassigned).
  const extensible = channels > 2
  const tag = extensible ? FORMAT_EXTENSIBLE : format === 'f32' ? FORMAT_FLOAT : FORMAT_PCM
  const fmtLen = extensible ? 40 : format === 'f32' ? 18 : 16
  const fact = format === 'f32' // non-PCM data needs a fact chunk (sample frames)
  const len = 12 + 8 + fmtLen + (fact ? 12 : 0) + 8
  const b = Buffer.alloc(len)
  b.write('RIFF', 0, 'ascii')
  b.write('WAVE', 8, 'ascii')
  b.write('fmt ', 12, 'ascii')
  b.writeUInt32LE(fmtLen, 16)
  b.writeUInt16LE(tag, 20)
  b.writeUInt16LE(channels, 22)
  b.writeUInt32LE(sampleRate, 24)
  b.writeUInt32LE(sampleRate * blockAlign, 28)
  b.writeUInt16LE(blockAlign, 32)
  b.writeUInt16LE(bits, 34)
  if (fmtLen > 16) b.writeUInt16LE(fmtLen - 18, 36) // cbSize
  if (extensible) {
    b.writeUInt16LE(bits, 38) // valid bits per sample
    b.writeUInt32LE(0, 40) // channel mask
    // SubFormat GUID: {0000000X-0000-0010-8000-00aa00389b71}, X = PCM or IEEE float
    b.writeUInt32LE(format === 'f32' ? FORMAT_FLOAT : FORMAT_PCM, 44)
    Buffer.from('00001000800000aa00389b71', 'hex').copy(b, 48)
  }
  let at = 20 + fmtLen
  let factAt = -1
  if (fact) {
    b.write('fact', at, 'ascii')
    b.writeUInt32LE(4, at + 4)
    factAt = at + 8
    at += 12
  }
  b.write('data', at, 'ascii')
  return { header: b, riffAt: 4, dataAt: at + 4, factAt, blockAlign }
}

/** The options read once and checked by the rules a Capture's own options follow. */
function normalize(options) {
  const o = checkOptions(options, OPTIONS)
  const get = (k, dflt) => (o[k] === undefined ? dflt : o[k])
  const sampleRate = sampleRateOption(get('sampleRate', DEFAULTS.sampleRate))
  const channels = channelsOption(get('channels', DEFAULTS.channels))
  const format = formatOption(get('format', DEFAULTS.format))
  const second = sampleRate * channels * (format === 'f32' ? 4 : 2)
  return {
    sampleRate,
    channels,
    format,
    updateEveryBytes: int('updateEveryBytes', get('updateEveryBytes', second), 0, RIFF_MAX),
    maxDataBytes: int('maxDataBytes', get('maxDataBytes', RIFF_MAX), 0, RIFF_MAX),
  }
}

class WavWriter {
  #fd
  #h
  #format
  #dataBytes = 0
  #sinceUpdate = 0
  #updateEvery
  #maxData

  /**
   * Creates (or truncates) the file at `path` and writes a header for 0 frames. Options (each
   * checked as `new Capture()` checks it; undefined: Capture's default): `sampleRate` (1000 to
   * 384000, 48000), `channels` (1 to 32, 2), `format` ('s16' or 'f32', 's16'),
   * `updateEveryBytes` (rewrite the header's sizes after this many data bytes; default one
   * second of audio), `maxDataBytes` (stop there; default and upper bound: what RIFF's 32-bit
   * sizes allow). Throws TypeError/RangeError (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE,
   * ERR_OUT_OF_RANGE) before touching the file, and fs errors (ENOENT, EACCES, ...) from open.
   */
  constructor(path, options) {
    const o = normalize(options)
    this.#format = o
    this.#h = header(o)
    this.#updateEvery = o.updateEveryBytes
    this.#maxData = Math.min(o.maxDataBytes, RIFF_MAX - (this.#h.header.length - 8))
    this.#fd = fs.openSync(path, 'w')
    try {
      fs.writeSync(this.#fd, this.#h.header, 0, this.#h.header.length, 0)
      this.#writeSizes()
    } catch (err) {
      fs.closeSync(this.#fd)
      throw err
    }
  }

  /** Bytes of sample data that still fit under the limit (whole frames). */
  get room() {
    const left = this.#maxData - this.#dataBytes
    return left - (left % this.#h.blockAlign)
  }

  /** Bytes of sample data written so far. */
  get dataBytes() {
    return this.#dataBytes
  }

  /**
   * Appends `buf` (any ArrayBufferView of whole frames) synchronously: the caller may release
   * or reuse it right after. Returns the bytes written: all of them, or at the limit as many
   * whole frames as fit (then 0).
   */
  write(buf) {
    if (!ArrayBuffer.isView(buf)) throw invalidType('buf', 'an instance of Buffer, TypedArray, or DataView', buf)
    const align = this.#h.blockAlign
    if (buf.byteLength % align !== 0) {
      const { channels, format } = this.#format
      throw outOfRange('buf.byteLength', `a multiple of ${align} (whole frames: ${channels} channel${channels === 1 ? '' : 's'} of ${format})`, buf.byteLength)
    }
    if (this.#fd === undefined) throw makeError(Error, 'ERR_INVALID_STATE', 'Cannot write(): the WAV file is closed')
    const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength) // a view, no copy
    const n = Math.min(bytes.length, this.room)
    let off = 0
    while (off < n) off += fs.writeSync(this.#fd, bytes, off, n - off, this.#h.header.length + this.#dataBytes + off)
    this.#dataBytes += n
    this.#sinceUpdate += n
    if (this.#sinceUpdate >= this.#updateEvery && n > 0) this.#writeSizes()
    return n
  }

  #writeSizes() {
    const b = Buffer.alloc(4)
    const put = (value, at) => {
      b.writeUInt32LE(value, 0)
      fs.writeSync(this.#fd, b, 0, 4, at)
    }
    put(this.#h.header.length - 8 + this.#dataBytes, this.#h.riffAt)
    put(this.#dataBytes, this.#h.dataAt)
    if (this.#h.factAt >= 0) put(this.#dataBytes / this.#h.blockAlign, this.#h.factAt)
    this.#sinceUpdate = 0
  }

  /** Writes the final sizes and closes the file. Idempotent. */
  close() {
    if (this.#fd === undefined) return
    try {
      this.#writeSizes()
    } finally {
      fs.closeSync(this.#fd)
      this.#fd = undefined
    }
  }
}

module.exports = { WavWriter, RIFF_MAX }
