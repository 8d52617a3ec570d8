'use strict'
// Signal measurements for the device tests (JS thread, plain math). Not a test file itself.
const fs = require('node:fs')

/** Frequency (interpolated rising zero crossings) and RMS of a mono signal; skips 0.1 s. */
function analyze(x, rate) {
  const body = x.subarray(Math.floor(rate / 10))
  let sum = 0
  for (const v of body) sum += v * v
  const crossings = []
  for (let i = 1; i < body.length; i++) {
    if (body[i - 1] < 0 && body[i] >= 0) crossings.push(i - 1 + -body[i - 1] / (body[i] - body[i - 1]))
  }
  const periods = crossings.length - 1
  const frequency = periods > 0 ? (periods * rate) / (crossings[periods] - crossings[0]) : 0
  return { frequency, rms: Math.sqrt(sum / body.length) }
}

/** Least-squares fit of a sine at `freq`: amplitude and SNR (fit power / residual power, dB). */
function sineFit(x, freq, rate) {
  const w = (2 * Math.PI * freq) / rate
  let ss = 0, sc = 0, cc = 0, ys = 0, yc = 0
  for (let n = 0; n < x.length; n++) {
    const s = Math.sin(w * n), c = Math.cos(w * n)
    ss += s * s; sc += s * c; cc += c * c; ys += x[n] * s; yc += x[n] * c
  }
  const det = ss * cc - sc * sc
  const a = (ys * cc - yc * sc) / det
  const b = (yc * ss - ys * sc) / det
  let sig = 0, err = 0
  for (let n = 0; n < x.length; n++) {
    const fit = a * Math.sin(w * n) + b * Math.cos(w * n)
    sig += fit * fit
    err += (x[n] - fit) ** 2
  }
  return { amplitude: Math.hypot(a, b), snr: 10 * Math.log10(sig / err) }
}

/** 0.2 s silence, 0.5 s of pseudo-random noise (amplitude 0.5), 0.2 s silence; mono floats. */
function noiseFixture(rate) {
  const x = new Float32Array(Math.round(rate * 0.9))
  let seed = 0x2545f491
  for (let i = Math.round(rate * 0.2); i < Math.round(rate * 0.7); i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
    x[i] = Math.round(((seed >>> 0) / 0xffffffff - 0.5) * 32768) / 32768
  }
  return x
}

/** Writes `mono` duplicated on `channels` channels as a 16-bit PCM WAV file. */
function writeWav(file, mono, rate, channels) {
  const data = Buffer.alloc(mono.length * channels * 2)
  for (let i = 0; i < mono.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round(mono[i] * 32768)))
    for (let c = 0; c < channels; c++) data.writeInt16LE(v, (i * channels + c) * 2)
  }
  const h = Buffer.alloc(44)
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8)
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * channels * 2, 28); h.writeUInt16LE(channels * 2, 32)
  h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40)
  fs.writeFileSync(file, Buffer.concat([h, data]))
}

/** Finds `fixture` in `capture`: the lag (frames) with the best normalized correlation. */
function align(capture, fixture) {
  const onset = (x) => x.findIndex((v) => Math.abs(v) > 0.05)
  const c0 = onset(capture), f0 = onset(fixture)
  if (c0 < 0 || f0 < 0) return { lag: -1, correlation: 0 }
  let best = { lag: -1, correlation: -1 }
  for (let lag = c0 - f0 - 64; lag <= c0 - f0 + 64; lag++) {
    if (lag < 0 || lag + fixture.length > capture.length) continue
    let xy = 0, xx = 0, yy = 0
    for (let i = 0; i < fixture.length; i++) {
      const a = capture[lag + i], b = fixture[i]
      xy += a * b; xx += a * a; yy += b * b
    }
    const r = xy / Math.sqrt(xx * yy)
    if (r > best.correlation) best = { lag, correlation: r }
  }
  return best
}

/** The first of `channels` channels of a packet as floats in [-1, 1) (`format` 's16' or 'f32'). */
function firstChannel(buf, format, channels) {
  const v = format === 'f32'
    ? new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length))
    : Float32Array.from(new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2), (x) => x / 32768)
  const mono = new Float32Array(v.length / channels)
  for (let i = 0; i < mono.length; i++) mono[i] = v[i * channels]
  return mono
}

/** The RMS of each `ms` window of `x`, two decimals each: where a signal is and where it is not,
 * for a failure message. */
function rmsProfile(x, rate, ms = 100) {
  const n = Math.round((rate * ms) / 1000)
  const out = []
  for (let i = 0; i < x.length; i += n) {
    const w = x.subarray(i, i + n)
    let sum = 0
    for (const v of w) sum += v * v
    out.push(Math.sqrt(sum / w.length).toFixed(2))
  }
  return out.join(' ')
}

module.exports = { firstChannel, analyze, rmsProfile, sineFit, noiseFixture, writeWav, align }
