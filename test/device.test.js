'use strict'
// Real capture through cpal against a real PulseAudio server with a null sink
// (scripts/audio-server.sh). Skips, with the reason, only where the server cannot start; in CI
// (CI set) a server that cannot start fails the run instead.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ensureAudioServer, tone, unloadModule, play, skipReason, pactlState, serverMode } = require('./audio-server')
const { analyze, firstChannel, sineFit, writeWav, noiseFixture, align } = require('./signal')

const server = ensureAudioServer()

/** Captures `seconds` and returns the first channel as floats, plus timing and stats. */
async function capture(options, seconds, { onStart } = {}) {
  const { Capture } = require('..')
  const cap = new Capture(options)
  const ch = options.channels ?? 2
  const rate = options.sampleRate ?? 48000
  const chunks = []
  let first = null
  let frames = 0
  let discontinuities = 0
  cap.on('data', (buf, info) => {
    if (first === null) first = performance.now()
    frames += info.frames
    if (info.discontinuity) discontinuities++
    const mono = firstChannel(buf, options.format, ch)
    chunks.push(mono)
    cap.release(buf)
  })
  const errors = []
  cap.on('error', (e) => errors.push(e))
  let t1, elapsed, stats
  try {
    await cap.start()
    // The stream runs from just before start() resolves: frames are checked against this span.
    t1 = performance.now()
    if (onStart) await onStart()
    await new Promise((r) => setTimeout(r, seconds * 1000))
    elapsed = (performance.now() - t1) / 1000
    await cap.stop()
    stats = cap.stats()
  } finally {
    await cap.close() // also when start() or onStart() throws: a running capture would hang the file
  }
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.length
  }
  // first: the first packet after start() resolved (negative: before it resolved).
  return { samples: all, first: first - t1, frames, elapsed, rate, discontinuities, stats, errors }
}

const toneCases = [
  { host: 'alsa', device: 'default', format: 's16' },
  { host: 'alsa', device: 'default', format: 'f32' },
  { host: 'pulseaudio', device: 'pcmtap_test.monitor', format: 's16' },
  { host: 'pulseaudio', device: 'pcmtap_test.monitor', format: 'f32' },
]

for (const c of toneCases) {
  test(`a 1 kHz tone arrives intact: ${c.host} ${c.device} ${c.format}`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const mod = await tone({ frequency: 1000 })
    try {
      const r = await capture({ ...c, sampleRate: 48000, channels: 2 }, 3)
      assert.deepEqual(r.errors, [])
      const a = analyze(r.samples, r.rate)
      assert.ok(Math.abs(a.frequency - 1000) <= 5, `frequency ${a.frequency}`)
      assert.ok(Math.abs(a.rms - 0.3536) <= 0.3536 * 0.02, `RMS ${a.rms}`)
      assert.ok(Math.abs(r.frames / (r.elapsed * r.rate) - 1) <= 0.02, `${r.frames} frames in ${r.elapsed} s`)
      assert.ok(r.first <= 100, `first packet after ${r.first} ms`)
      assert.equal(r.discontinuities, 0)
      assert.equal(r.stats.audio.discontinuities, 0)
      assert.equal(r.stats.pool.misses, 0)
      assert.equal(r.stats.device.host, c.host)
      assert.equal(r.stats.device.sampleRate, 48000)
      // What the host was asked for: the host's own default on ALSA; 1024 frames on the
      // PulseAudio host, where PipeWire's own choice was a 2 s fragment (README, Devices).
      assert.equal(r.stats.device.bufferFrames, c.host === 'pulseaudio' ? 1024 : undefined)
    } finally {
      await unloadModule(mod)
    }
  })
}

for (const c of [{ sampleRate: 16000, channels: 1 }, { sampleRate: 44100, channels: 2 }]) {
  test(`a ${c.sampleRate} Hz ${c.channels}-channel request from the 48 kHz stereo device is resampled cleanly`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const mod = await tone({ frequency: 1000 })
    try {
      const r = await capture({ host: 'pulseaudio', device: 'pcmtap_test.monitor', format: 'f32', ...c }, 3)
      assert.equal(r.stats.device.sampleRate, 48000, 'the device runs at its own rate')
      assert.equal(r.stats.device.resampling, true)
      const body = r.samples.subarray(c.sampleRate / 5)
      const { amplitude, snr } = sineFit(body, 1000, c.sampleRate)
      // Bound: the sinc resampler measures ~139-151 dB on synthetic data (cargo test); through
      // the server's s16 path the floor is s16 quantization, so 60 dB is a safe lower bound.
      t.diagnostic(`resampled tone: amplitude ${amplitude.toFixed(4)}, SNR ${snr.toFixed(1)} dB`)
      assert.ok(snr >= 60, `SNR ${snr} dB`)
      assert.ok(Math.abs(amplitude - 0.5) < 0.01, `amplitude ${amplitude}`)
      assert.ok(Math.abs(r.frames / (r.elapsed * c.sampleRate) - 1) <= 0.02, `${r.frames} frames in ${r.elapsed} s`)
      assert.equal(r.discontinuities, 0)
    } finally {
      await unloadModule(mod)
    }
  })
}

for (const c of [
  { name: 'ALSA default', options: { host: 'alsa', device: 'default', format: 's16' } },
  { name: 'PulseAudio monitor', options: { host: 'pulseaudio', device: 'pcmtap_test.monitor', format: 's16' } },
  { name: 'loopback: true', options: { loopback: true, format: 's16' } },
]) {
  test(`a WAV played with paplay arrives with its content (${c.name})`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-'))
    const fixture = noiseFixture(48000)
    const file = path.join(dir, 'fixture.wav')
    writeWav(file, fixture, 48000, 2)
    const r = await capture({ ...c.options, sampleRate: 48000, channels: 2 }, 1.6, { onStart: () => { play(file) } })
    fs.rmSync(dir, { recursive: true, force: true })
    const { lag, correlation } = align(r.samples, fixture)
    t.diagnostic(`fixture found at ${lag} frames, correlation ${correlation.toFixed(5)}`)
    assert.ok(lag >= 0, 'fixture found in the capture')
    assert.ok(correlation > 0.99, `correlation ${correlation}`)
    if (c.options.loopback) assert.match(r.stats.device.id, /\.monitor$/)
  })
}

test('device errors carry stable codes', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const { Capture, listDevices } = require('..')
  const attempt = async (o) => {
    const cap = new Capture(o)
    try {
      await cap.start()
      await cap.stop()
      return null
    } catch (e) {
      return e
    } finally {
      await cap.close()
    }
  }
  const nf = await attempt({ host: 'pulseaudio', device: 'no-such-device' })
  assert.equal(nf.code, 'DEVICE_NOT_FOUND')
  assert.match(nf.message, /pcmtap_test\.monitor/, 'lists what is available')
  const amb = await attempt({ host: 'pulseaudio', device: 'pcmtap' })
  assert.equal(amb.code, 'DEVICE_AMBIGUOUS')
  assert.match(amb.message, /pcmtap_test\.monitor.*pcmtap_pin|pcmtap_pin.*pcmtap_test\.monitor/)
  assert.equal((await attempt({ host: 'pulseaudio', device: { id: 'pulseaudio:nope' } })).code, 'DEVICE_NOT_FOUND')
  const badHost = await attempt({ host: process.platform === 'win32' ? 'coreaudio' : 'wasapi' })
  assert.equal(badHost.code, 'HOST_UNAVAILABLE')
  const list = listDevices({ host: 'pulseaudio' })
  const mon = list.find((d) => d.id === 'pulseaudio:pcmtap_test.monitor')
  // The config is the server's sample spec for the source, as pactl reports it. The PulseAudio
  // rig makes its null sink s16le; PipeWire's pulse server makes null sinks float32le (its graph
  // format, as on PipeWire desktops), so the expected format depends on the server.
  const spec = (await pactlState()).sources.find((s) => s.name === 'pcmtap_test.monitor').spec
  assert.deepEqual(spec, { sampleRate: 48000, channels: 2, format: serverMode === 'pipewire' ? 'f32' : 'i16' }, 'pactl')
  assert.deepEqual(
    { kind: mon.kind, isDefault: mon.isDefault, defaultConfig: mon.defaultConfig },
    { kind: 'monitor', isDefault: true, defaultConfig: spec },
  )
  assert.ok(!list.some((d) => d.kind === 'output'), 'a sink is not capturable: listed only with all')
  assert.ok(listDevices({ host: 'pulseaudio', all: true }).some((d) => d.id === 'pulseaudio:pcmtap_test' && d.kind === 'output'))
  assert.ok(listDevices({ host: 'pulseaudio', kind: 'monitor' }).every((d) => d.kind === 'monitor'))
})

test('a server that dies mid-capture gives an error event with a stable code, then stop, no crash', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  // A second, private server, so killing it does not disturb the other tests.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-lost-'))
  const code = `
    const { execFileSync } = require('node:child_process')
    const script = ${JSON.stringify(path.join(__dirname, '..', 'scripts', 'audio-server.sh'))}
    const out = execFileSync('bash', [script, 'start'], { encoding: 'utf8' })
    for (const m of out.matchAll(/^export (\\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
    const { Capture } = require('.')
    for (const host of ['pulseaudio', 'alsa']) {
      const cap = new Capture({ host, device: host === 'alsa' ? 'default' : 'pcmtap_test.monitor' })
      const kept = []
      cap.on('data', (buf) => { if (kept.length < 5) kept.push(buf); else cap.release(buf) })
      cap.on('error', (e) => console.log('ERROR ' + host + ' ' + e.code + ' ' + (e.cause ? 'cause' : 'nocause')))
      cap.on('stop', () => {
        console.log('STOP ' + host + ' ' + kept.length + ' ' + kept.every((b) => b.length > 0))
        cap.close()
      })
      cap.start()
    }
    setTimeout(() => execFileSync('bash', [script, 'stop']), 500)
    setTimeout(() => process.exit(0), 8000).unref()`
  const { runChild, childReport } = require('./helpers')
  const r = runChild(code, { env: { PCMTAP_AUDIO_DIR: dir } })
  fs.rmSync(dir, { recursive: true, force: true })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /ERROR pulseaudio (DEVICE_LOST|STREAM_ERROR) cause/, childReport(r))
  assert.match(r.stdout, /STOP pulseaudio 5 true/, childReport(r))
  // ALSA's pulse plugin goes silent instead of failing: the stall watchdog reports it.
  assert.match(r.stdout, /ERROR alsa DEVICE_LOST cause/, childReport(r))
  assert.match(r.stdout, /STOP alsa 5 true/, childReport(r))
  t.diagnostic(r.stdout.trim().replace(/\n/g, ' | '))
})

test('two device captures at once, on different hosts and formats, both get the tone', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const mod = await tone({ frequency: 1000 })
  try {
    const [a, b] = await Promise.all([
      capture({ host: 'alsa', device: 'default', format: 's16', sampleRate: 48000, channels: 2 }, 2),
      capture({ host: 'pulseaudio', device: 'pcmtap_test.monitor', format: 'f32', sampleRate: 16000, channels: 1 }, 2),
    ])
    for (const r of [a, b]) {
      const { frequency, rms } = analyze(r.samples, r.rate)
      assert.ok(Math.abs(frequency - 1000) <= 5, `frequency ${frequency}`)
      assert.ok(Math.abs(rms - 0.3536) <= 0.3536 * 0.02, `RMS ${rms}`)
      assert.equal(r.discontinuities, 0)
    }
  } finally {
    await unloadModule(mod)
  }
})

test('a Worker capturing from a device and terminated mid-stream leaves the process healthy', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const code = `
    const { Worker } = require('node:worker_threads')
    const src = \`
      const { parentPort } = require('node:worker_threads')
      const { Capture } = require(\${JSON.stringify(process.cwd())})
      const cap = new Capture({ host: 'pulseaudio', device: 'pcmtap_test.monitor' })
      let n = 0
      cap.on('data', (b) => { if (n > 5) cap.release(b); if (++n === 30) parentPort.postMessage(n) })
      cap.start()
    \`
    let rounds = 0
    function round() {
      const w = new Worker(src, { eval: true })
      w.once('message', async () => {
        await w.terminate()
        if (++rounds < 3) round()
        else console.log('WORKERS OK ' + rounds)
      })
      w.once('error', (e) => { console.error(e); process.exit(3) })
    }
    round()`
  const { runChild, childReport } = require('./helpers')
  const r = runChild(code)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /WORKERS OK 3/)
})
