'use strict'
// Devices as users know them, checked against what `pactl` says about the private test server
// (scripts/audio-server.sh): sources with their descriptions, monitors, exactly one default,
// no ALSA plugin PCMs unless asked, every listed id opens alone, loopback records what the
// machine plays and never the input, and refuses where no server can loop back.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { ensureAudioServer, skipReason, tone, unloadModule, pactlState, pactl } = require('./audio-server')
const { runChild, childReport } = require('./helpers')
const { analyze } = require('./signal')

const server = ensureAudioServer()

async function ready(t) {
  const srv = await server
  if (!srv.ok) {
    t.skip(skipReason(srv))
    return false
  }
  return true
}

/** Captures `ms` of the first channel as floats: `{ samples, frames, stats }`. */
async function grab(options, ms) {
  const { Capture } = require('..')
  const cap = new Capture({ sampleRate: 48000, channels: 2, format: 's16', ...options })
  const parts = []
  let frames = 0
  cap.on('data', (buf, info) => {
    frames += info.frames
    const v = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
    const mono = new Float32Array(v.length / 2)
    for (let i = 0; i < mono.length; i++) mono[i] = v[i * 2] / 32768
    parts.push(mono)
    cap.release(buf)
  })
  let stats
  try {
    await cap.start()
    await new Promise((r) => setTimeout(r, ms))
    stats = cap.stats()
  } finally {
    await cap.close()
  }
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    samples.set(p, at)
    at += p.length
  }
  return { samples, frames, stats }
}

for (const host of [undefined, 'pulseaudio']) {
  const prefix = host === 'pulseaudio' ? 'pulseaudio:' : 'alsa:pulse:DEVICE='
  test(`listDevices(${host ? `{ host: '${host}' }` : ''}) shows the server's sources as pactl does`, async (t) => {
    if (!(await ready(t))) return
    const { listDevices } = require('..')
    const p = await pactlState()
    const list = listDevices(host ? { host } : undefined)
    const expected = p.sources
      .map((s) => ({ id: prefix + s.name, name: s.description, kind: s.monitorOf ? 'monitor' : 'input', isDefault: s.name === p.defaultSource }))
      .sort((a, b) => a.id.localeCompare(b.id))
    const got = list.map((d) => ({ id: d.id, name: d.name, kind: d.kind, isDefault: d.isDefault })).sort((a, b) => a.id.localeCompare(b.id))
    assert.deepEqual(got, expected)
    assert.equal(list.filter((d) => d.isDefault).length, 1, 'exactly one default input')
    assert.ok(list.every((d) => d.host === (host ?? 'alsa')))
    assert.ok(list.every((d) => d.defaultConfig && d.defaultConfig.sampleRate === 48000), 'the server reports each config')
    assert.deepEqual(listDevices(host ? { host } : undefined), list, 'stable across calls')
    assert.deepEqual(listDevices({ host, kind: 'monitor' }).map((d) => d.id), expected.filter((d) => d.kind === 'monitor').map((d) => d.id))
    const { defaultDevice } = require('..')
    assert.equal(defaultDevice(host ? { host } : undefined).id, prefix + p.defaultSource)
  })
}

test('ALSA plugin PCMs and server sinks are listed only with all: true', async (t) => {
  if (!(await ready(t))) return
  const { listDevices } = require('..')
  const ids = listDevices().map((d) => d.id)
  for (const hidden of ['alsa:null', 'alsa:pulse', 'alsa:default']) assert.ok(!ids.includes(hidden), `${hidden} hidden`)
  const all = listDevices({ all: true }).map((d) => d.id)
  assert.ok(all.includes('alsa:default') && all.includes('alsa:pulse'), `all: ${all.join(', ')}`)
  assert.ok(ids.every((id) => all.includes(id)))
  const p = await pactlState()
  const sinks = listDevices({ host: 'pulseaudio', all: true }).filter((d) => d.kind === 'output')
  assert.deepEqual(sinks.map((d) => d.id).sort(), p.sinks.map((s) => `pulseaudio:${s.name}`).sort())
  assert.ok(!listDevices({ host: 'pulseaudio' }).some((d) => d.kind === 'output'), 'a sink cannot be captured: hidden')
  assert.throws(() => listDevices({ all: 1 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
})

test('every listed id opens as device with no other option and captures', async (t) => {
  if (!(await ready(t))) return
  const { listDevices } = require('..')
  const ids = [...listDevices(), ...listDevices({ host: 'pulseaudio' })].map((d) => d.id)
  assert.ok(ids.length >= 4)
  for (const id of ids) {
    const r = await grab({ device: id }, 300)
    assert.equal(r.stats.device.id, id)
    assert.ok(r.frames > 4800, `${id}: ${r.frames} frames in 300 ms`)
  }
  const p = await pactlState()
  const monitor = p.sources.find((s) => s.name === 'pcmtap_test.monitor')
  const byName = await grab({ device: monitor.description }, 200)
  assert.equal(byName.stats.device.id, 'alsa:pulse:DEVICE=pcmtap_test.monitor', 'the description picks the device')
})

test('loopback hears what the machine plays, never the input, through the cheap ALSA path', async (t) => {
  if (!(await ready(t))) return
  const p = await pactlState()
  const silent = p.sources.find((s) => !s.monitorOf).name
  await pactl('set-default-source', silent)
  const mod = await tone({ frequency: 1000 })
  try {
    const loop = await grab({ loopback: true }, 800)
    const input = await grab({}, 800)
    assert.equal(loop.stats.device.id, `alsa:pulse:DEVICE=${p.defaultSink}.monitor`)
    assert.equal(input.stats.device.id, `alsa:pulse:DEVICE=${silent}`)
    const body = (s) => s.subarray(Math.floor(s.length / 2))
    const a = analyze(body(loop.samples), 48000)
    assert.ok(Math.abs(a.frequency - 1000) <= 5 && Math.abs(a.rms - 0.3536) < 0.02, `loopback: ${a.frequency} Hz, RMS ${a.rms}`)
    assert.ok(analyze(body(input.samples), 48000).rms < 0.001, 'the default input is the silent source')
    const pa = await grab({ loopback: true, host: 'pulseaudio' }, 800)
    assert.equal(pa.stats.device.id, `pulseaudio:${p.defaultSink}.monitor`)
    assert.ok(Math.abs(analyze(body(pa.samples), 48000).rms - 0.3536) < 0.02)
  } finally {
    await unloadModule(mod)
    await pactl('set-default-source', p.defaultSource)
  }
})

test('without a server: loopback is refused (never the microphone), ALSA lists its default where it opens', async (t) => {
  if (!(await ready(t))) return
  const code = `
    const { Capture, listDevices } = require('.')
    const list = listDevices()
    console.log('LIST ' + JSON.stringify(list.map((d) => [d.id, d.isDefault])))
    ;(async () => {
      for (const o of [{ loopback: true }, { loopback: true, host: 'alsa' }, { loopback: true, host: 'pulseaudio' }]) {
        const cap = new Capture(o)
        await cap.start().then(() => console.log('STARTED ' + JSON.stringify(o)), (e) => console.log('REFUSED ' + e.code + ' ' + e.message))
        await cap.close()
      }
    })()`
  const r = runChild(code, { env: { PULSE_SERVER: 'unix:/nonexistent/pcmtap-no-server' } })
  assert.equal(r.status, 0, childReport(r))
  assert.doesNotMatch(r.stdout, /STARTED/, childReport(r))
  const refused = r.stdout.match(/^REFUSED .*$/gm) || []
  assert.equal(refused.length, 3, childReport(r))
  assert.ok(refused.slice(0, 2).every((l) => /^REFUSED UNSUPPORTED_CONFIG loopback: true needs a PulseAudio or PipeWire server/.test(l)), childReport(r))
  assert.match(refused[2], /^REFUSED HOST_UNAVAILABLE/, childReport(r))
  // Without a sound card `default` does not open: not listed (test/quiet-first-run.test.js).
  const hasCard = fs.existsSync('/dev/snd') && fs.readdirSync('/dev/snd').some((f) => /^controlC\d+$/.test(f))
  assert.match(r.stdout, hasCard ? /LIST \[\["alsa:default",true\]\]/ : /LIST \[\]/, childReport(r))
})
