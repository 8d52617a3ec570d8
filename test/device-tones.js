'use strict'
// Helpers of the tests that change devices under a running capture (device-removed,
// device-follow): a null sink playing its own tone, a recorder of packets (each one's frequency
// and RMS) and events. Not a test file. JS thread.
const { spawn } = require('node:child_process')
const { pactl, serverMode } = require('./audio-server')
const { closeAfter } = require('./helpers')

const RATE = 48000
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A null sink `name` playing `hz` (440 Hz) (sox into pacat: PipeWire has no module-sine); returns
 * `remove()` (unloads the sink, then stops its player, which the server may have moved). */
async function toneSink(t, name, hz = 440, { pin = false } = {}) {
  const mod = (await pactl('load-module', 'module-null-sink', `sink_name=${name}`, `rate=${RATE}`, 'channels=2')).trim()
  // With `pin` on PulseAudio: the test server's latency pin (AUDIO_RIG.md) on this sink too, so a
  // capture opened on it gets its first data in ms, not after the null sink's 2 s block.
  const pinned = pin && serverMode === 'pulseaudio'
  const loop = pinned ? (await pactl('load-module', 'module-loopback', 'source=pcmtap_pin', `sink=${name}`, 'latency_msec=10', 'source_dont_move=true', 'sink_dont_move=true')).trim() : null
  if (pinned) {
    await pactl('suspend-sink', name, '1')
    await pactl('suspend-sink', name, '0')
  }
  const player = spawn('sh', ['-c', `sox -q -n -t raw -r ${RATE} -c 2 -e signed -b 16 - synth 120 sine ${hz} vol 0.5 | exec pacat --raw --rate=${RATE} --channels=2 --format=s16le --latency-msec=30 -d "$1"`, 'tone', name], { stdio: 'ignore', detached: true })
  const kill = () => {
    try {
      process.kill(-player.pid, 'SIGKILL')
    } catch {}
  }
  let loaded = true
  const remove = async () => {
    loaded = false
    if (loop) await pactl('unload-module', loop).catch(() => {})
    await pactl('unload-module', mod)
    kill()
  }
  t.after(async () => {
    kill()
    if (loaded) {
      if (loop) await pactl('unload-module', loop).catch(() => {})
      await pactl('unload-module', mod).catch(() => {})
    }
  })
  return remove
}

/** Frequency (zero crossings) and RMS of one mono f32 packet. */
function measure(x) {
  let sum = 0
  let crossings = 0
  for (let i = 0; i < x.length; i++) {
    sum += x[i] * x[i]
    if (i > 0 && (x[i - 1] < 0) !== (x[i] < 0)) crossings++
  }
  return { hz: (crossings / 2) * (RATE / x.length), rms: Math.sqrt(sum / x.length), a440: amplitude(x, 440), a660: amplitude(x, 660), a1000: amplitude(x, 1000) }
}

/** The amplitude of the `hz` component of `x` (Goertzel): tells two tones mixed in one packet
 * apart (~0.5 for the 0.5-amplitude tone over 10 ms, < 0.1 without it). */
function amplitude(x, hz) {
  const w = (2 * Math.PI * hz) / RATE
  let re = 0
  let im = 0
  for (let i = 0; i < x.length; i++) {
    re += x[i] * Math.cos(w * i)
    im -= x[i] * Math.sin(w * i)
  }
  return (2 * Math.hypot(re, im)) / Math.max(1, x.length)
}

async function waitFor(pred, ms) {
  const t0 = performance.now()
  while (!pred() && performance.now() - t0 < ms) await sleep(5)
  return pred()
}

/** A capture (mono f32 at 48 kHz, then `options`) recording each packet's measure and the events, in order. */
function recorder(t, options) {
  const { Capture } = require('..')
  const cap = closeAfter(t, new Capture({ sampleRate: RATE, channels: 1, format: 'f32', ...options }))
  const rec = { packets: [], events: [], cap }
  cap.on('data', (buf, info) => {
    const x = new Float32Array(buf.buffer, buf.byteOffset, info.frames)
    rec.packets.push({ at: performance.now(), frames: info.frames, discontinuity: info.discontinuity, gapFrames: info.gapFrames, ...measure(x) })
    cap.release(buf)
  })
  for (const e of ['error', 'disconnect', 'reconnect', 'devicechange', 'stop']) {
    cap.on(e, (x) => rec.events.push({ e, at: performance.now(), packets: rec.packets.length, code: x && x.code, attempts: x && x.attempts, message: x && x.message, from: x && x.from, to: x && x.to }))
  }
  return rec
}

module.exports = { toneSink, measure, amplitude, recorder, waitFor, sleep, RATE }
