'use strict'
// Level metering and the live status line. JS thread: runs in the 'data' listener on each packet
// (a pass over its samples) and on a 100 ms timer (the line).

/** Peak and RMS over the samples seen since the last `take()`, in linear full scale (0..1). */
class Meter {
  #peak = 0
  #sumSq = 0
  #n = 0
  #allPeak = 0
  #allSumSq = 0
  #allN = 0

  constructor(format) {
    this.format = format
  }

  add(buf) {
    const f32 = this.format === 'f32'
    const bytes = f32 ? 4 : 2
    const aligned = buf.byteOffset % bytes === 0
    const n = Math.floor(buf.length / bytes)
    const v = aligned ? (f32 ? new Float32Array(buf.buffer, buf.byteOffset, n) : new Int16Array(buf.buffer, buf.byteOffset, n)) : null
    let peak = this.#peak
    let sum = 0
    for (let i = 0; i < n; i++) {
      const x = v ? (f32 ? v[i] : v[i] / 32768) : f32 ? buf.readFloatLE(i * 4) : buf.readInt16LE(i * 2) / 32768
      const a = Math.abs(x)
      if (a > peak) peak = a
      sum += x * x
    }
    this.#peak = peak
    this.#sumSq += sum
    this.#n += n
  }

  /** The window's `{ peak, rms }` (linear), and starts a new window. */
  take() {
    const r = { peak: this.#peak, rms: this.#n ? Math.sqrt(this.#sumSq / this.#n) : 0 }
    this.#allPeak = Math.max(this.#allPeak, this.#peak)
    this.#allSumSq += this.#sumSq
    this.#allN += this.#n
    this.#peak = this.#sumSq = this.#n = 0
    return r
  }

  /** `{ peak, rms }` over everything seen. */
  total() {
    this.take()
    return { peak: this.#allPeak, rms: this.#allN ? Math.sqrt(this.#allSumSq / this.#allN) : 0 }
  }
}

/** dBFS of a linear level, as text ('-inf' for silence). */
function dbfs(x) {
  return x > 0 ? (20 * Math.log10(x)).toFixed(1) : '-inf'
}

/** A bar of `width` cells for a peak level: -60 dBFS empty, 0 dBFS full. */
function bar(peak, width = 24) {
  const db = peak > 0 ? 20 * Math.log10(peak) : -Infinity
  const cells = Math.max(0, Math.min(width, Math.round(((db + 60) / 60) * width)))
  return '#'.repeat(cells) + '-'.repeat(width - cells)
}

function clock(seconds) {
  const m = Math.floor(seconds / 60)
  return `${String(m).padStart(2, '0')}:${(seconds - m * 60).toFixed(1).padStart(4, '0')}`
}

/** One status line: elapsed, peak and RMS dBFS with a bar, packets, drops, pool hit rate. */
function statusLine({ seconds, level, stats }) {
  const hit = stats.pool.hitRate === null || stats.pool.hitRate === undefined ? '-' : `${(stats.pool.hitRate * 100).toFixed(1)}%`
  return (
    `REC ${clock(seconds)}  peak ${dbfs(level.peak).padStart(6)} dBFS  RMS ${dbfs(level.rms).padStart(6)} dBFS ` +
    `[${bar(level.peak)}]  packets ${stats.delivery.packets}  drops ${stats.audio.droppedFrames}  pool hits ${hit}`
  )
}

module.exports = { Meter, dbfs, bar, statusLine, clock }
