'use strict'
// The child process of test/device-reconnect.test.js: one scenario against a private audio
// server (PCMTAP_AUDIO_DIR), its result printed as one `RESULT {json}` line. Not a test file.
// Runs on the JS thread; the server is driven with async child processes only, so the
// event-loop monitor measures pcmtap, not this script.
//
//   node test/reconnect/child.js cycles <alsa|pulseaudio> <n>   n losses and returns, one capture
//   node test/reconnect/child.js suspend <alsa|pulseaudio> <ms>  the sink suspended for ms, resumed
//   node test/reconnect/child.js stop <alsa|pulseaudio>         stop()/close() while retrying
//   node test/reconnect/child.js give-up <alsa|pulseaudio>      giveUpAfter passes
//   node test/reconnect/child.js teardown <alsa|pulseaudio>     Worker terminate(), then
//                                      process.exit(), each while an attempt hangs
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { Capture } = require('../..')
const { analyze } = require('../signal')
const { reach } = require('./reach')

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'audio-server.sh')
const [scenario, host, arg] = process.argv.slice(2)
const HOST = host === 'pulseaudio' ? { host: 'pulseaudio' } : {}
const RATE = 48000

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const now = () => performance.now()
const counts = () => ({ threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length })

function server(...args) {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, out, stderr) => {
      if (err) reject(Object.assign(err, { stderr }))
      else resolve(out)
    })
  })
}

/** Starts the private server (the tone too) and points this process at it. Resolves the time
 * the server was up (its sink answering pactl, its defaults set), before the tone was loaded;
 * `serverUp.invoked`: when the start began (the server was away at least until then). */
async function serverUp() {
  serverUp.invoked = now()
  const out = await server('start')
  const up = now()
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
  await reach()
  await server('tone-start', '1000')
  return up
}

async function serverKill() {
  const pid = Number((await server('pids')).trim().split(/\s+/)[0])
  process.kill(pid, 'SIGKILL')
}

/** The longest time the event loop was blocked (a 5 ms timer's lateness) since reset(). */
function loopMonitor() {
  let max = 0
  let last = now()
  const timer = setInterval(() => {
    const t = now()
    max = Math.max(max, t - last - 5)
    last = t
  }, 5)
  return {
    reset() {
      max = 0
      last = now()
    },
    get max() {
      return Math.round(max)
    },
    stop: () => clearInterval(timer),
  }
}

/** The next `event` of `cap` with the time it came, or `{ timeout: true }` after `ms`. */
function next(cap, event, ms) {
  // Not events.once(): it rejects when 'error' comes while waiting for another event.
  const seen = new Promise((resolve) => cap.once(event, (payload) => resolve({ payload, at: now() })))
  return Promise.race([seen, sleep(ms).then(() => ({ timeout: true }))])
}

/** A mono f32 capture with `reconnect` that records what it is told to. */
function capture(reconnect) {
  const cap = new Capture({ ...HOST, format: 'f32', channels: 1, reconnect })
  const log = [] // event order: 'data', 'disconnect', 'reconnect', 'flagged', 'error'
  const state = { packets: 0, flagged: [], errors: [], recording: null }
  cap.on('data', (buf, info) => {
    state.packets++
    if (info.gapFrames > 0) state.flagged.push({ seq: info.seq, gapFrames: info.gapFrames, discontinuity: info.discontinuity })
    if (log[log.length - 1] !== 'data' || info.gapFrames > 0) log.push(info.gapFrames > 0 ? 'flagged' : 'data')
    const r = state.recording
    if (r) {
      const x = new Float32Array(buf.buffer, buf.byteOffset, info.frames)
      r.samples.set(x.subarray(0, Math.min(x.length, r.samples.length - r.n)), r.n)
      r.n += Math.min(x.length, r.samples.length - r.n)
      if (r.n === r.samples.length) {
        state.recording = null
        r.resolve(r.samples)
      }
    }
    cap.release(buf)
  })
  cap.on('disconnect', () => log.push('disconnect'))
  cap.on('reconnect', () => log.push('reconnect'))
  cap.on('error', (e) => {
    log.push('error')
    state.errors.push(`${e.code}: ${e.message}`)
  })
  /** The next `seconds` of audio, with its frequency and RMS. */
  state.record = (seconds) =>
    new Promise((resolve) => {
      state.recording = { samples: new Float32Array(Math.round(seconds * RATE)), n: 0, resolve }
    }).then((x) => analyze(x, RATE))
  return { cap, log, state }
}

async function waitFor(pred, ms) {
  const t0 = now()
  while (!pred()) {
    if (now() - t0 > ms) return false
    await sleep(10)
  }
  return true
}

async function cycles(n) {
  await serverUp()
  const { cap, log, state } = capture(true)
  const mon = loopMonitor()
  await cap.start()
  const startedAt = now()
  await waitFor(() => state.packets >= 20, 5000)
  const rounds = []
  let base = null
  for (let i = 0; i < n; i++) {
    const before = await state.record(0.6)
    mon.reset()
    const disconnect = next(cap, 'disconnect', 3000)
    const killedAt = now()
    await serverKill()
    const lost = await disconnect
    await sleep(700) // the server stays away
    const reconnect = next(cap, 'reconnect', 10_000)
    const backAt = await serverUp()
    const back = await reconnect
    await sleep(200)
    const after = await state.record(0.6)
    await sleep(300) // helper threads of this cycle finish
    const c = counts()
    if (i === 0) base = c
    rounds.push({
      lost: lost.timeout ? null : { code: lost.payload.code, ms: Math.round(lost.at - killedAt) },
      back: back.timeout ? null : { ...back.payload, msAfterServer: Math.round(back.at - backAt), msAfterKill: Math.round(back.at - killedAt) },
      away: Math.round(backAt - killedAt),
      // PipeWire's start waits for its defaults after the source exists: a capture may be back
      // before it returns. The server was away at least until the start began.
      awayAtLeast: Math.round(serverUp.invoked - killedAt),
      before,
      after,
      maxBlock: mon.max,
      counts: c,
    })
  }
  const stats = cap.stats()
  const elapsed = (now() - startedAt) / 1000
  mon.reset()
  const t = now()
  await cap.close()
  const closeMs = Math.round(now() - t)
  const closeBlock = mon.max
  mon.stop()
  await server('stop')
  return { rounds, base, stats, elapsed, closeMs, closeBlock, log: log.join(' '), flagged: state.flagged, errors: state.errors }
}

/** A stand-in for a hung server at the server's socket: accepts connections, never answers.
 * (A SIGSTOPped server does the same, but a reconnect may win the race to it first.) */
async function hungServer() {
  const file = process.env.PULSE_SERVER.replace(/^unix:/, '')
  fs.rmSync(file, { force: true }) // the killed server's socket
  const held = []
  const srv = net.createServer((sock) => held.push(sock))
  await new Promise((resolve) => srv.listen(file, resolve))
  return () => {
    for (const sock of held) sock.destroy()
    srv.close()
  }
}

/** stop()/close() in three states of a reconnect capture, each a round: 'idle' (the server is
 * gone, the thread waits between attempts), 'attempt' (an attempt blocked on a server that
 * accepts but never answers), 'stalled' (the stream is open, its server stopped: not noticed as
 * lost yet). All must return at once and leave nothing behind once the server is gone for good.
 * The rounds run twice: the first pass is the warm-up (the baseline is taken after it, with the
 * server dead, as at the end). */
async function stopWhileRetrying() {
  const ROUNDS = [['stop', 'idle'], ['close', 'idle'], ['stop', 'attempt'], ['close', 'attempt'], ['stop', 'stalled'], ['close', 'stalled']]
  const mon = loopMonitor()
  let base = null
  const rounds = []
  for (let pass = 0; pass < 2; pass++) {
    for (const [how, state] of ROUNDS) {
      await serverUp()
      const { cap, state: st } = capture({ initialDelay: 50, maxDelay: 200 })
      await cap.start()
      await waitFor(() => st.packets >= 5, 5000)
      const pid = Number((await server('pids')).trim().split(/\s+/)[0])
      const disconnect = next(cap, 'disconnect', state === 'stalled' ? 400 : 3000)
      let release = () => {}
      if (state === 'stalled') {
        process.kill(pid, 'SIGSTOP')
        release = () => process.kill(pid, 'SIGKILL')
      } else {
        process.kill(pid, 'SIGKILL')
      }
      const lost = await disconnect
      if (state === 'attempt') release = await hungServer()
      await sleep(400) // attempts made, one of them now blocked ('attempt'); silence ('stalled')
      mon.reset()
      const t = now()
      if (how === 'stop') await cap.stop()
      const stopMs = Math.round(now() - t)
      const runningAfter = cap.running // false after stop(); true before close()
      await cap.close()
      const closeMs = Math.round(now() - t)
      const { gapFrames, disconnects } = cap.stats().audio
      await sleep(20)
      if (pass === 1) rounds.push({ how, state, lost: !lost.timeout, disconnects, stopMs, closeMs, runningAfter, maxBlock: mon.max, gapFrames, errors: st.errors })
      release() // the blocked attempt or stream teardown fails, its thread ends
    }
    await sleep(2500) // threads still in an attempt or a teardown end by themselves
    if (pass === 0) base = counts()
  }
  mon.stop()
  return { base, after: counts(), rounds }
}

/** giveUpAfter passes with the server away: 'error' DEVICE_LOST, the capture stops. */
async function giveUp() {
  await serverUp()
  const { cap, log, state } = capture({ initialDelay: 50, giveUpAfter: 600 })
  await cap.start()
  await waitFor(() => state.packets >= 5, 5000)
  const disconnect = next(cap, 'disconnect', 3000)
  const error = next(cap, 'error', 5000)
  const stopped = next(cap, 'stop', 5000)
  await serverKill()
  const lost = await disconnect
  const err = await error
  await stopped
  const result = {
    lostCode: lost.timeout ? null : lost.payload.code,
    errorCode: err.timeout ? null : err.payload.code,
    errorMessage: err.timeout ? null : err.payload.message,
    msToError: err.timeout || lost.timeout ? null : Math.round(err.at - lost.at),
    running: cap.running,
    audio: cap.stats().audio,
    log: log.join(' '),
  }
  await cap.close()
  return result
}

/** A capture in a Worker, then one in this thread, each with an attempt blocked on a hung
 * server: the Worker is terminated, then the process exits with process.exit(). Clean: no
 * crash, exit status 0 (the parent checks). */
async function teardown() {
  const { Worker } = require('node:worker_threads')
  await serverUp()
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads')
     const { Capture } = require(${JSON.stringify(path.join(__dirname, '..', '..'))})
     const cap = new Capture({ ...${JSON.stringify(HOST)}, reconnect: true })
     cap.on('data', (b) => cap.release(b))
     cap.on('disconnect', () => parentPort.postMessage('lost'))
     cap.start().then(() => parentPort.postMessage('started'))`,
    { eval: true },
  )
  const message = () => new Promise((resolve) => w.once('message', resolve))
  await message()
  const lost = message()
  await sleep(300)
  await serverKill()
  await lost
  const release = await hungServer()
  await sleep(400)
  let t = now()
  await w.terminate()
  const terminateMs = Math.round(now() - t)
  release()
  await serverUp()
  const { cap, state } = capture(true)
  await cap.start()
  await waitFor(() => state.packets >= 5, 5000)
  const disconnect = next(cap, 'disconnect', 3000)
  await serverKill()
  await disconnect
  await hungServer() // left hung: exit while the attempt blocks
  await sleep(400)
  return { terminateMs, exitNow: true }
}

/** The server's sink suspended for `ms` under a reconnect capture, then resumed: what the
 * capture says (it must not call a living server gone) and hears after. */
async function suspend(ms) {
  await serverUp()
  const { cap, log, state } = capture(true)
  await cap.start()
  await waitFor(() => state.packets >= 20, 5000)
  const before = await state.record(0.4)
  // The sink was suspended at some point while the first pactl ran and resumed while the second
  // did: for at least the time between them, at most the time across both.
  const suspending = now()
  await reach.pactl('suspend-sink', 'pcmtap_test', '1')
  const suspendedAt = now()
  await sleep(ms)
  const resuming = now()
  await reach.pactl('suspend-sink', 'pcmtap_test', '0')
  const away = now() - suspendedAt
  const awayAtLeast = resuming - suspendedAt
  const awayAtMost = now() - suspending
  await sleep(1500)
  const after = await state.record(0.6)
  // What the server itself delivers now, to a plain libpulse client reaching it the same way:
  // PipeWire 0.3.65's null sink delivers nothing to anyone after a resume (parec too).
  const reference = await parecord(0.5)
  const stats = cap.stats()
  await cap.close()
  await server('stop')
  return { before, after, reference, away, awayAtLeast, awayAtMost, log: log.join(' '), flagged: state.flagged, errors: state.errors, disconnects: stats.audio.disconnects, gapFrames: stats.audio.gapFrames }
}

/** `seconds` of the sink's monitor through parec (mono f32), analysed; `bytes`: what came. */
function parecord(seconds) {
  return new Promise((resolve) => {
    const args = ['-d', 'pcmtap_test.monitor', '--raw', '--format=float32le', '--channels=1', `--rate=${RATE}`]
    const child = require('node:child_process').spawn('parec', args, { stdio: ['ignore', 'pipe', 'ignore'] })
    const chunks = []
    child.stdout.on('data', (c) => chunks.push(c))
    setTimeout(() => child.kill(), seconds * 1000 + 300)
    child.on('close', () => {
      const b = Buffer.concat(chunks)
      const x = new Float32Array(b.buffer, b.byteOffset, Math.floor(b.length / 4))
      // The last `seconds` of it: the stream's first fragment may be silence.
      const tail = x.subarray(Math.max(0, x.length - Math.round(seconds * RATE * 0.6)))
      resolve({ bytes: b.length, ...(tail.length ? analyze(tail, RATE) : { frequency: 0, rms: 0 }) })
    })
  })
}

const SCENARIOS = { cycles: () => cycles(Number(arg)), suspend: () => suspend(Number(arg)), stop: stopWhileRetrying, 'give-up': giveUp, teardown }
SCENARIOS[scenario]().then(
  (r) => {
    console.log(`RESULT ${JSON.stringify(r)}`)
    if (r.exitNow) process.exit(0)
  },
  (e) => {
    console.error(e)
    process.exit(1) // now: a capture left open would keep the process alive until the timeout
  },
)
