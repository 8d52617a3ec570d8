'use strict'
// The test side of scripts/audio-server.sh: starts the private PulseAudio (or, with
// PCMTAP_AUDIO_SERVER=pipewire, PipeWire) server once per test
// process (stopping it at exit if this process started it) and drives it with pactl/paplay.
// Runs on the JS thread of a test process; the server is a separate process.
const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const SCRIPT = path.join(__dirname, '..', 'scripts', 'audio-server.sh')
let started = null

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: process.env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }))
      else resolve(stdout)
    })
  })
}

/** Starts the server if needed and points this process at it: `{ ok, reason }`. */
function ensureAudioServer() {
  if (started) return started
  started = (async () => {
    let wasRunning = false
    try {
      execFileSync('bash', [SCRIPT, 'status'], { stdio: 'ignore' })
      wasRunning = true
    } catch {}
    try {
      const out = await run('bash', [SCRIPT, 'start'])
      for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
      if (!wasRunning) {
        process.on('exit', () => {
          try {
            execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore' })
          } catch {}
        })
      }
      return { ok: true }
    } catch (err) {
      return { ok: false, reason: `the audio server could not start: ${err.message}\n${err.stderr || ''}` }
    }
  })()
  return started
}

/** The reason to skip, or a throw where skipping is not allowed (CI must run these tests). */
function skipReason(result) {
  if (process.env.CI) throw new Error(`CI must run the device tests, but ${result.reason}`)
  return result.reason
}

/** Starts a sine (default 1 kHz, amplitude 0.5) into the null sink, in either server mode;
 * resolves a handle for unloadModule(). */
async function tone({ frequency = 1000 } = {}) {
  if (!Number.isInteger(frequency) || frequency <= 0 || frequency >= 24000) throw new RangeError(`tone frequency ${frequency}`)
  await run('bash', [SCRIPT, 'tone-start', String(frequency)])
  return 'tone'
}

/** Stops what tone() started. */
function unloadModule(handle) {
  if (handle !== 'tone') throw new Error(`unknown tone handle ${handle}`)
  return run('bash', [SCRIPT, 'tone-stop'])
}

/** Which server the tests run against: 'pulseaudio' or 'pipewire' (PCMTAP_AUDIO_SERVER). */
const serverMode = process.env.PCMTAP_AUDIO_SERVER === 'pipewire' ? 'pipewire' : 'pulseaudio'

/** Plays a file into the null sink; resolves when paplay ends. */
function play(file) {
  return run('paplay', ['-d', 'pcmtap_test', file])
}

// pactl's sample format names, as cpal's (and so listDevices' defaultConfig.format).
const PA_FORMATS = { u8: 'u8', s16le: 'i16', s24le: 'i24', s32le: 'i32', float32le: 'f32' }

/** What `pactl` says: `{ sources: [{ name, description, monitorOf, spec }], sinks, defaultSource,
 * defaultSink }`; `spec`: `{ sampleRate, channels, format }` from its Sample Specification. */
async function pactlState() {
  const blocks = (text) =>
    text.split(/\n(?=\S)/).filter((b) => /Name:/.test(b)).map((b) => {
      const field = (k) => (b.match(new RegExp(`^\\s*${k}: (.*)$`, 'm')) || [])[1]
      const monitorOf = field('Monitor of Sink')
      const [, format, channels, rate] = (field('Sample Specification') || '').match(/^(\S+) (\d+)ch (\d+)Hz$/) || []
      const spec = format ? { sampleRate: Number(rate), channels: Number(channels), format: PA_FORMATS[format] ?? format } : null
      return { name: field('Name'), description: field('Description'), monitorOf: monitorOf === 'n/a' ? null : monitorOf ?? null, spec }
    })
  const info = await run('pactl', ['info'])
  return {
    sources: blocks(await run('pactl', ['list', 'sources'])),
    sinks: blocks(await run('pactl', ['list', 'sinks'])),
    defaultSource: (info.match(/^Default Source: (.*)$/m) || [])[1],
    defaultSink: (info.match(/^Default Sink: (.*)$/m) || [])[1],
  }
}

function pactl(...args) {
  return run('pactl', args)
}

// For child programs that run their own private server (a test that kills or stops it disturbs
// no other test): server control and process counts, evaluated in the child.
const CHILD_PRELUDE = `
  const { execFileSync } = require('node:child_process')
  const fs = require('node:fs')
  const script = ${JSON.stringify(SCRIPT)}
  function serverStart() {
    const out = execFileSync('bash', [script, 'start'], { encoding: 'utf8' })
    for (const m of out.matchAll(/^export (\\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
  }
  const serverPid = () => Number(execFileSync('bash', [script, 'pids'], { encoding: 'utf8' }).trim().split(/\\s+/)[0])
  const counts = () => ({ threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length })
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const { Capture } = require('.')
  const OPTIONS = { alsa: {}, pulseaudio: { host: 'pulseaudio' } }
`

/** Points this test process at a server of its own, in a fresh PCMTAP_AUDIO_DIR (started by
 * ensureAudioServer()); at exit, stops that server, then removes the directory. Call it before
 * ensureAudioServer(). The order matters: a directory removed first took the server's pid file
 * with it, so the stop found nothing and the daemon ran on (one per such test file and run; 20
 * PulseAudio and PipeWire daemons were left here after a few runs, loading later tests). */
function ownServerDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  process.env.PCMTAP_AUDIO_DIR = dir
  process.on('exit', () => {
    try {
      execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore', env: { ...process.env, PCMTAP_AUDIO_DIR: dir } })
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

/** A fresh PCMTAP_AUDIO_DIR for a child's private server, stopped and removed after test `t`. */
function privateServerDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-private-'))
  t.after(() => {
    execFileSync('bash', [SCRIPT, 'stop'], { env: { ...process.env, PCMTAP_AUDIO_DIR: dir } })
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

module.exports = { CHILD_PRELUDE, ownServerDir, privateServerDir, ensureAudioServer, skipReason, tone, unloadModule, play, pactlState, pactl, serverMode }
