'use strict'
// The Windows build's WASAPI host under Wine, against the private test server (Linux side; run
// by `npm run test:windows`): Wine's winepulse driver turns the server's sinks and sources into
// WASAPI endpoints. hosts(), listing as pactl describes the server, stable ids, every listed
// input opening alone, the tone intact in both formats and through conversion, and the CLI
// recording a WAV that sox reads. The Windows side of each step is test/windows/probe.js.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { tone, unloadModule, pactlState } = require('../audio-server')
const { ready, probeResult, wineNode, work, ROOT } = require('./wine')


test('hosts() is wasapi; listDevices() shows the server as WASAPI does, ids stable across calls and processes', async (t) => {
  if (!(await ready(t))) return
  const p = await pactlState()
  const [a, b] = [await probeResult({ op: 'list' }), await probeResult({ op: 'list' })]
  assert.deepEqual(a.first.hosts, { default: 'wasapi', compiled: ['wasapi'] })
  const devices = a.first.devices
  for (const d of devices) {
    assert.equal(d.host, 'wasapi')
    assert.match(d.id, /^wasapi:\{0\.0\.[01]\.00000000\}\.\{[0-9A-F-]{36}\}$/, d.id)
    assert.ok(d.defaultConfig && d.defaultConfig.sampleRate > 0, JSON.stringify(d))
  }
  // Names as Windows shows them: the endpoints' friendly names, which winepulse takes from the
  // server's descriptions; its "PulseAudio" endpoints follow the server's defaults.
  const names = (kind) => devices.filter((d) => d.kind === kind).map((d) => d.name).sort()
  assert.deepEqual(names('input'), ['PulseAudio', ...p.sources.map((s) => s.description)].sort())
  assert.deepEqual(names('output'), ['PulseAudio', ...p.sinks.map((s) => s.description)].sort())
  // Exactly one default: the console-role default capture endpoint, which defaultDevice() returns.
  const defaults = devices.filter((d) => d.isDefault)
  assert.equal(defaults.length, 1, JSON.stringify(devices))
  assert.equal(defaults[0].kind, 'input')
  assert.deepEqual(a.first.default, defaults[0])
  assert.equal(new Set(devices.map((d) => d.id)).size, devices.length)
  // Without all: the inputs only (an output cannot be captured as such: that is loopback).
  assert.deepEqual(a.first.listed, devices.filter((d) => d.kind === 'input'))
  // Stable: the same list twice in one process, and in another process.
  assert.deepEqual(a.second.devices, devices)
  assert.deepEqual(b.first.devices, devices)
})

test('every listed id opens as device with no other option and captures', async (t) => {
  if (!(await ready(t))) return
  const mod = await tone({ frequency: 1000 })
  try {
    const r = await probeResult({ op: 'open-each' })
    assert.ok(r.length >= 3, JSON.stringify(r))
    for (const d of r) {
      assert.equal(d.startError, undefined, `${d.id} (${d.name}): ${JSON.stringify(d.startError)}`)
      assert.deepEqual(d.errors, [], d.id)
      assert.ok(d.packets >= 10, `${d.id} (${d.name}): ${d.packets} packets in 0.5 s`)
    }
  } finally {
    await unloadModule(mod)
  }
})

const toneCases = [
  { format: 's16', sampleRate: 48000, channels: 2, passthrough: true },
  { format: 'f32', sampleRate: 48000, channels: 2, passthrough: true },
  { format: 's16', sampleRate: 16000, channels: 1, passthrough: false },
  { format: 'f32', sampleRate: 44100, channels: 2, passthrough: false },
]

for (const c of toneCases) {
  test(`the 1 kHz tone arrives intact from the default input: ${c.format} ${c.sampleRate} Hz ${c.channels} ch`, async (t) => {
    if (!(await ready(t))) return
    const mod = await tone({ frequency: 1000 })
    try {
      const { passthrough, ...options } = c
      const r = await probeResult({ op: 'capture', options, ms: 3000 })
      assert.equal(r.startError, undefined, JSON.stringify(r.startError))
      assert.deepEqual(r.events.filter((e) => e.type === 'error'), [])
      assert.ok(Math.abs(r.before.frequency - 1000) <= 5, `frequency ${r.before.frequency}`)
      assert.ok(Math.abs(r.before.rms - 0.3536) <= 0.3536 * 0.02, `RMS ${r.before.rms}`)
      assert.ok(Math.abs(r.frames / (r.seconds * c.sampleRate) - 1) <= 0.05, `${r.frames} frames in ${r.seconds} s`)
      assert.equal(r.discontinuities, 0)
      assert.equal(r.stats.pool.misses, 0)
      assert.equal(r.stats.device.host, 'wasapi')
      assert.equal(r.stats.device.passthrough, passthrough)
      assert.equal(r.stats.device.resampling, c.sampleRate !== r.stats.device.sampleRate)
    } finally {
      await unloadModule(mod)
    }
  })
}

test('loopback the host cannot do is UNSUPPORTED_CONFIG saying so, naming the HRESULT in words', async (t) => {
  if (!(await ready(t))) return
  const r = await probeResult({ op: 'capture', options: { loopback: true }, ms: 1000 })
  // Wine 8.0's WASAPI has no loopback capture (Wine 9.12 added it): start() refuses. Where the
  // host can (Windows, newer Wine), this test must learn what the capture hears instead.
  assert.ok(r.startError, `loopback started: ${JSON.stringify(r).slice(0, 400)}`)
  assert.equal(r.startError.code, 'UNSUPPORTED_CONFIG')
  assert.match(r.startError.message, /^loopback: true: this host cannot capture what 'wasapi:\{0\.0\.0\.[^']+' plays: .*AUDCLNT_E_WRONG_ENDPOINT_TYPE \(0x88890003\)/)
  assert.doesNotMatch(r.startError.message, /FormatMessageW|OS Error/)
})

test('pcmtap record writes a WAV of the tone from WASAPI that sox reads (rate, channels, bits, duration)', async (t) => {
  if (!(await ready(t))) return
  if (spawnSync('sox', ['--version']).status !== 0) {
    if (process.env.CI) throw new Error('CI must run this test, but sox is not installed')
    return t.skip('sox is not installed (apt-get install sox)')
  }
  const file = path.join(work, 'wasapi.wav')
  const mod = await tone({ frequency: 1000 })
  let r
  try {
    r = await wineNode([path.join(ROOT, 'bin', 'pcmtap.js'), 'record', file, '--seconds', '2', '--rate', '48000', '--channels', '2'])
  } finally {
    await unloadModule(mod)
  }
  const report = `status=${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
  assert.equal(r.status, 0, report)
  const soxi = (flag) => spawnSync('soxi', [flag, file], { encoding: 'utf8' }).stdout.trim()
  assert.equal(soxi('-r'), '48000', report)
  assert.equal(soxi('-c'), '2', report)
  assert.equal(soxi('-b'), '16', report)
  assert.ok(Math.abs(Number(soxi('-D')) - 2) <= 0.04, `duration ${soxi('-D')} s\n${report}`)
  // The tone: sox's RMS of the whole file (amplitude 0.5 -> 0.3536; the first packets may be quiet).
  const stat = spawnSync('sox', [file, '-n', 'trim', '0.1', 'stat'], { encoding: 'utf8' }).stderr
  const rms = Number((stat.match(/RMS\s+amplitude:\s+([\d.]+)/) || [])[1])
  assert.ok(Math.abs(rms - 0.3536) <= 0.3536 * 0.02, `RMS ${rms}\n${stat}`)
  fs.rmSync(file)
})
