'use strict'
// Every listed id opens the device it names, whatever characters the server allows in a source
// name: PipeWire takes `= , : ' "`, backslashes and spaces, which ALSA's argument syntax reads
// as syntax unless quoted. Each odd-named null sink plays its own tone; a capture of its
// monitor by the listed id must hear that tone (a wrong parse opens another source, or none),
// on both Linux hosts. Against the private test server (scripts/audio-server.sh), either mode.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const { ensureAudioServer, skipReason, pactl, serverMode } = require('./audio-server')
const { analyze } = require('./signal')

const server = ensureAudioServer()

const NAMES = ['pcmtap odd=name', 'pcmtap,odd', "pcmtap'q", 'pcmtap:colon', 'pcmtap"dq', 'pcmtap\\bs']
// Each sink its own tone, 60 Hz apart (the test server's default source plays 1000 Hz): a name
// parsed into another source is heard as another frequency. ±25 Hz: a player underrun on a
// loaded machine (a few ms of silence in the 0.6 s analysed) moves the estimate ~12 Hz.
const hz = (name) => 500 + 60 * NAMES.indexOf(name)

/** pactl's module argument for `name`: quoted so the server's own parser keeps it whole. */
const sinkArg = (name) => (name.includes("'") ? `sink_name="${name}"` : `sink_name='${name}'`)

/** Loads a null sink named `name` playing its tone (`hz(name)`); null if the server refuses the name. */
async function oddSink(t, name) {
  let mod
  try {
    mod = (await pactl('load-module', 'module-null-sink', sinkArg(name))).trim()
  } catch {
    return null
  }
  const sinks = await pactl('list', 'short', 'sinks')
  if (!sinks.split('\n').some((l) => l.split('\t')[1] === name)) {
    await pactl('unload-module', mod)
    return null // the server parsed the name into something else: not a name it allows
  }
  const player = spawn('sh', ['-c', `sox -q -n -t raw -r 48000 -c 2 -e signed -b 16 - synth 60 sine ${hz(name)} vol 0.5 | exec pacat --raw --rate=48000 --channels=2 --format=s16le --latency-msec=50 -d "$1"`, 'tone', name], { stdio: 'ignore', detached: true })
  t.after(async () => {
    try {
      process.kill(-player.pid, 'SIGKILL')
    } catch {}
    await pactl('unload-module', mod).catch(() => {})
  })
  return mod
}

/** The first channel of `ms` of capture as floats, and the device the capture reports. */
async function grab(options, ms) {
  const { Capture } = require('..')
  const cap = new Capture({ sampleRate: 48000, channels: 2, format: 's16', ...options })
  const parts = []
  cap.on('data', (buf) => {
    const v = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
    const mono = new Float32Array(v.length / 2)
    for (let i = 0; i < mono.length; i++) mono[i] = v[i * 2] / 32768
    parts.push(mono)
    cap.release(buf)
  })
  try {
    await cap.start()
    await new Promise((r) => setTimeout(r, ms))
    const id = cap.stats().device.id
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
    let o = 0
    for (const p of parts) all.set(p, o), (o += p.length)
    return { id, samples: all }
  } finally {
    await cap.close()
  }
}

test('source names with = , : quotes, backslashes and spaces: every listed id opens that source, on both hosts', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const { listDevices } = require('..')
  const loaded = []
  for (const name of NAMES) if (await oddSink(t, name)) loaded.push(name)
  // PipeWire allows every one of them; PulseAudio allows none (its names are [A-Za-z0-9._-]).
  if (serverMode === 'pipewire') assert.deepEqual(loaded, NAMES, 'PipeWire accepts every odd name')
  const tried = []
  for (const host of ['alsa', 'pulseaudio']) {
    for (const name of loaded) {
      // By the server's description ("Monitor of <name>", PipeWire adds the media class), or
      // by the id's end where it is not escaped.
      const listed = listDevices({ host }).find((d) => d.name === `Monitor of ${name}` || d.name.startsWith(`Monitor of ${name} `) || d.id.endsWith(`:${name}.monitor`) || d.id.endsWith(`=${name}.monitor`))
      assert.ok(listed, `${host}: the monitor of '${name}' is listed: ${JSON.stringify(listDevices({ host }).map((d) => d.id))}`)
      const r = await grab({ device: { id: listed.id } }, 700)
      assert.equal(r.id, listed.id, `${host}: the capture reports the id it opened`)
      const a = analyze(r.samples.subarray(4800), 48000)
      assert.ok(Math.abs(a.frequency - hz(name)) <= 25 && a.rms > 0.3, `${host} '${listed.id}': ${a.frequency.toFixed(1)} Hz, RMS ${a.rms.toFixed(3)}: not the ${hz(name)} Hz tone of that sink`)
      tried.push(listed.id)
    }
  }
  t.diagnostic(`${serverMode}: opened ${tried.length} ids: ${tried.join(' | ')}`)
})
