'use strict'
// A WAV file writer (RIFF/WAVE): 16-bit PCM or 32-bit IEEE float, little-endian, interleaved.
// JS thread. Written for pcmtap instead of taken from npm because it has to do three things the
// maintained packages (wavefile, node-wav) do not: write each packet synchronously straight
// from the pool slot (so the slot can be released right after, no copy), keep the header right
// while the file grows (sizes rewritten every `updateEveryBytes`, so a killed process leaves a
// readable file), and stop cleanly at RIFF's 4 GiB limit.
const fs = require('node:fs')

const FORMAT_PCM = 1
const FORMAT_FLOAT = 3
const FORMAT_EXTENSIBLE = 0xfffe
const RIFF_MAX = 0xffffffff

/** The header bytes and where its two size fields are: `{ header, riffAt, dataAt, factAt }`. */
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

class WavWriter {
  #fd
  #h
  #dataBytes = 0
  #sinceUpdate = 0
  #updateEvery
  #maxData

  /**
   * Creates (or truncates) `file`. `format`: 's16' | 'f32'. `maxDataBytes`: where to stop
   * (default and upper bound: what RIFF's 32-bit sizes allow).
   */
  constructor(file, { sampleRate, channels, format, updateEveryBytes = sampleRate * channels * 2, maxDataBytes = Infinity }) {
    this.#h = header({ sampleRate, channels, format })
    this.#updateEvery = updateEveryBytes
    this.#maxData = Math.min(maxDataBytes, RIFF_MAX - (this.#h.header.length - 8))
    this.#fd = fs.openSync(file, 'w')
    fs.writeSync(this.#fd, this.#h.header, 0, this.#h.header.length, 0)
    this.#writeSizes()
  }

  /** Bytes of sample data that still fit under RIFF's 4 GiB limit (whole frames). */
  get room() {
    const left = this.#maxData - this.#dataBytes
    return left - (left % this.#h.blockAlign)
  }

  get dataBytes() {
    return this.#dataBytes
  }

  /** Appends `buf` (whole frames) synchronously: the caller may release it right after. */
  write(buf) {
    let n = Math.min(buf.length, this.room)
    n -= n % this.#h.blockAlign
    let off = 0
    while (off < n) off += fs.writeSync(this.#fd, buf, off, n - off, this.#h.header.length + this.#dataBytes + off)
    this.#dataBytes += n
    this.#sinceUpdate += n
    if (this.#sinceUpdate >= this.#updateEvery) this.#writeSizes()
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
    this.#writeSizes()
    fs.closeSync(this.#fd)
    this.#fd = undefined
  }
}

module.exports = { WavWriter, header, RIFF_MAX }
