'use strict'
// `reconnect`: the sound server dies (SIGKILL) under a running capture and comes back; the
// capture survives it on both Linux hosts: 'disconnect' (DEVICE_LOST) when the loss is noticed,
// 'reconnect' when audio flows again, the 1 kHz tone back, the first packet after the gap
// flagged with a gap length that matches how long the server was away, the gap counted in
// stats, no 'error', the event loop never blocked, threads and fds back to the baseline after
// five losses. stop()/close() while retrying return at once and leave nothing behind; a
// give-up time that passes ends the capture with DEVICE_LOST. Each scenario runs in a child
// process (test/reconnect/child.js) with its own private server (PCMTAP_AUDIO_DIR), so the
// other tests' server is untouched. Then the option's validation (no server needed).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ensureAudioServer, skipReason, serverMode } = require('./audio-server')
const { runChild, childReport, closeAfter, MAX_BLOCK_MS } = require('./helpers')
const { Capture } = require('..')
const { NativeCapture } = require('../native.js')

const server = ensureAudioServer()
const SCRIPT = path.join(__dirname, '..', 'scripts', 'audio-server.sh')
const CHILD = path.join(__dirname, 'reconnect', 'child.js')
const RATE = 48000

/** Runs a scenario of test/reconnect/child.js against a private server; returns its RESULT. */
function scenario(t, args, timeout = 120_000, env = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-audio-rc-'))
  t.after(() => {
    runChild(`require('node:child_process').execFileSync('bash', [${JSON.stringify(SCRIPT)}, 'stop'])`, { env: { PCMTAP_AUDIO_DIR: dir } })
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const r = runChild(`process.argv.splice(1, 0, ...${JSON.stringify([CHILD, ...args])}); require(${JSON.stringify(CHILD)})`, {
    env: { PCMTAP_AUDIO_DIR: dir, ...env },
    timeout,
  })
  assert.equal(r.status, 0, childReport(r))
  const m = r.stdout.match(/^RESULT (.*)$/m)
  assert.ok(m, childReport(r))
  return JSON.parse(m[1])
}

// The 1 kHz, 0.5-amplitude tone (RMS 0.3536). Loose enough for a loaded machine, where cpal's
// PulseAudio host may lose a few ms inside a window; silence or another signal is far outside.
const isTone = (a) => Math.abs(a.frequency - 1000) < 30 && Math.abs(a.rms / 0.3536 - 1) < 0.1

for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: the server dies and returns 5 times under one reconnect capture: disconnect, reconnect, the tone, a flagged gap, no leak`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    // One warm-up cycle (the leak baseline is taken after it), then five.
    const r = scenario(t, ['cycles', host, '6'], 240_000)
    const summary = r.rounds.map((x) => `[lost ${x.lost && x.lost.ms} ms, away ${x.away} ms, gap ${x.back && Math.round(x.back.gapMs)} ms, reconnect ${x.back && x.back.msAfterServer} ms after the server, ${x.back && x.back.attempts} attempts, block ${x.maxBlock} ms, ${JSON.stringify(x.counts)}]`)
    t.diagnostic(`per cycle: ${summary.join(' ')}; close ${r.closeMs} ms (block ${r.closeBlock} ms); audio ${JSON.stringify(r.stats.audio)} over ${r.elapsed.toFixed(2)} s`)
    assert.deepEqual(r.errors, [], 'no error: the capture survives')
    assert.equal(r.rounds.length, 6)
    for (const [i, x] of r.rounds.entries()) {
      assert.ok(isTone(x.before), `cycle ${i}: the tone before the loss: ${JSON.stringify(x.before)}`)
      assert.equal(x.lost && x.lost.code, 'DEVICE_LOST', `cycle ${i}: 'disconnect' with DEVICE_LOST`)
      assert.ok(x.lost.ms < 1000, `cycle ${i}: 'disconnect' ${x.lost.ms} ms after the kill`)
      assert.ok(x.back, `cycle ${i}: no 'reconnect' within 10 s of the server's return`)
      assert.ok(x.back.attempts >= 1)
      // The gap runs from the last frame before the kill to the first after the return: at
      // least as long as the server was surely away (until its start began; less the frames in
      // flight), at most until 'reconnect' came.
      assert.ok(x.back.gapMs > x.awayAtLeast - 150 && x.back.gapMs < x.back.msAfterKill + 150, `cycle ${i}: gap ${x.back.gapMs} ms, server away ${x.awayAtLeast} ms before its start began (up after ${x.away} ms), 'reconnect' ${x.back.msAfterKill} ms after the kill`)
      assert.ok(isTone(x.after), `cycle ${i}: the tone after the return: ${JSON.stringify(x.after)}`)
      if (i > 0) assert.ok(x.maxBlock <= MAX_BLOCK_MS, `cycle ${i}: event loop blocked ${x.maxBlock} ms`)
    }
    // 'reconnect' right before each flagged packet, each after its 'disconnect'.
    assert.equal(r.log, `data${' disconnect reconnect flagged data'.repeat(6)}`)
    assert.equal(r.flagged.length, 6, 'one flagged packet per return')
    for (const [i, f] of r.flagged.entries()) {
      assert.equal(f.seq, r.rounds[i].back.seq, "the flagged packet is the one 'reconnect' names")
      assert.equal(f.gapFrames, r.rounds[i].back.gapFrames)
      assert.equal(f.discontinuity, true)
    }
    const a = r.stats.audio
    assert.equal(a.disconnects, 6)
    assert.equal(a.reconnects, 6)
    assert.equal(a.gapFrames, r.flagged.reduce((s, f) => s + f.gapFrames, 0), 'stats count exactly the flagged gaps')
    assert.equal(a.discontinuities, 6)
    // Nothing lost uncounted: delivered + dropped + gap frames follow the clock (the capture's
    // first audio comes a few ms after start() resolves).
    const total = a.frames + a.droppedFrames + a.gapFrames
    // One uncounted 0.8 s gap would be 5 % of the ~16 s run.
    assert.ok(Math.abs(total / (r.elapsed * RATE) - 1) < 0.04, `${total} frames counted over ${r.elapsed} s`)
    for (const x of r.rounds.slice(1)) assert.deepEqual(x.counts, r.base, 'threads and fds back to the baseline after each loss and return')
    assert.ok(r.closeBlock <= MAX_BLOCK_MS, `close() blocked the loop ${r.closeBlock} ms`)
  })

  test(`${host}: stop() and close() while waiting, while an attempt hangs, and on a stalled server return at once and leave no thread or fd`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['stop', host])
    t.diagnostic(`baseline ${JSON.stringify(r.base)}, after ${JSON.stringify(r.after)}; [how, state: stop/close ms, loop block ms, gap frames] ${r.rounds.map((x) => `[${x.how}, ${x.state}: ${x.stopMs}/${x.closeMs}, ${x.maxBlock}, ${x.gapFrames}]`).join(' ')}`)
    assert.equal(r.rounds.length, 6)
    for (const x of r.rounds) {
      const what = `${x.how}() (${x.state})`
      assert.deepEqual(x.errors, [], what)
      assert.equal(x.runningAfter, x.how === 'close', `${what}: running until stopped`)
      assert.ok(x.closeMs < 200, `${what} took ${x.closeMs} ms`)
      assert.ok(x.maxBlock <= MAX_BLOCK_MS, `${what}: event loop blocked ${x.maxBlock} ms`)
      if (x.state === 'stalled') {
        // Stopped before the loss was noticed: no gap.
        assert.equal(x.disconnects, 0, what)
        assert.equal(x.gapFrames, 0, what)
      } else {
        assert.ok(x.lost && x.disconnects === 1, `${what}: 'disconnect' came`)
        // The gap ended by stop/close is counted: >= 400 ms of waiting.
        assert.ok(x.gapFrames > 0.3 * RATE && x.gapFrames < 2 * RATE, `${what}: gap ${x.gapFrames} frames`)
      }
    }
    assert.deepEqual(r.after, r.base, 'threads and fds back to the baseline')
  })

  test(`${host}: a giveUpAfter that passes ends the capture with DEVICE_LOST`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['give-up', host])
    t.diagnostic(JSON.stringify(r))
    assert.equal(r.log, 'data disconnect error')
    assert.equal(r.lostCode, 'DEVICE_LOST')
    assert.equal(r.errorCode, 'DEVICE_LOST')
    assert.match(r.errorMessage, /did not come back within 600 ms/)
    assert.ok(r.msToError >= 550 && r.msToError < 1500, `'error' ${r.msToError} ms after 'disconnect'`)
    assert.equal(r.running, false)
    assert.equal(r.audio.disconnects, 1)
    assert.equal(r.audio.reconnects, 0)
    assert.ok(r.audio.gapFrames >= 0.6 * RATE && r.audio.gapFrames < 2 * RATE, `gap ${r.audio.gapFrames} frames`)
  })

  test(`${host}: terminating a Worker, and process.exit(), while an attempt hangs are clean`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['teardown', host])
    t.diagnostic(`Worker terminate() took ${r.terminateMs} ms`)
    assert.ok(r.terminateMs < 1000, `terminate() took ${r.terminateMs} ms`)
  })
}

const T = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }
const V = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }
const R = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }
const bad = [
  [{ reconnect: 'yes' }, T, /"reconnect" option must be a boolean or an object/],
  [{ reconnect: 1 }, T],
  [{ reconnect: null }, T],
  [{ reconnect: [] }, T],
  [{ reconnect: { delay: 5 } }, V, /"reconnect\.delay"/],
  [{ reconnect: { initialDelay: 9 } }, R, /"reconnect\.initialDelay".*>= 10 and <= 60000/],
  [{ reconnect: { initialDelay: 60001 } }, R],
  [{ reconnect: { initialDelay: 1.5 } }, R],
  [{ reconnect: { initialDelay: '100' } }, T],
  [{ reconnect: { initialDelay: 500, maxDelay: 499 } }, R, /"reconnect\.maxDelay".*>= 500 and <= 300000/],
  [{ reconnect: { maxDelay: 300001 } }, R],
  [{ reconnect: { maxDelay: NaN } }, R],
  [{ reconnect: { giveUpAfter: 99 } }, R, /"reconnect\.giveUpAfter".*>= 100 and <= 86400000/],
  [{ reconnect: { giveUpAfter: Infinity } }, R],
  [{ reconnect: { giveUpAfter: null } }, T],
  [{ source: 'synthetic', reconnect: true }, V, /"reconnect" option must be false unless source is 'device'/],
  [{ source: 'synthetic', reconnect: {} }, V],
]
for (const [options, expected, message] of bad) {
  test(`new Capture(${JSON.stringify(options)}) throws ${expected.code}, allocating nothing`, () => {
    const pools = NativeCapture.poolMemory()
    assert.throws(() => new Capture(options), (err) => {
      assert.equal(err.name, expected.name)
      assert.equal(err.code, expected.code)
      if (message) assert.match(err.message, message)
      return true
    })
    assert.deepEqual(NativeCapture.poolMemory(), pools, 'no pool was allocated')
  })
}

// Where the server is, as libpulse finds it: over TCP, or named only by client.conf (no
// PULSE_SERVER, no XDG_RUNTIME_DIR). Before pcmtap resolved the server as libpulse does, it
// probed a guessed socket path: a 1.2 s suspend was "the sound server went away", and a
// reconnect capture never came back (no attempt made while the guessed path refused).
// The 'alsa' host only: cpal's PulseAudio host reaches a Unix socket named by the environment.
async function reachEnv(how, { runtimeDir }) {
  // A session's runtime directory with no server in it (where pcmtap used to look), or none.
  const XDG_RUNTIME_DIR = runtimeDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-run-')) : undefined
  if (how === 'tcp') {
    const port = await new Promise((resolve) => {
      const s = require('node:net').createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port
        s.close(() => resolve(p))
      })
    })
    return { PCMTAP_TEST_REACH: 'tcp', PCMTAP_TEST_TCP_PORT: String(port), XDG_RUNTIME_DIR }
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-home-'))
  return { PCMTAP_TEST_REACH: 'clientconf', HOME: home, PULSE_SERVER: undefined, PULSE_COOKIE: undefined, XDG_RUNTIME_DIR }
}

for (const how of ['tcp', 'clientconf']) {
  test(`alsa, server reached ${how === 'tcp' ? 'over TCP' : 'through client.conf only'}, no XDG_RUNTIME_DIR: killed and restarted 3 times, the capture comes back each time with the tone`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['cycles', 'alsa', '3'], 120_000, await reachEnv(how, { runtimeDir: false }))
    t.diagnostic(`per cycle: ${r.rounds.map((x) => `[lost ${x.lost && x.lost.ms} ms, gap ${x.back && Math.round(x.back.gapMs)} ms, reconnect ${x.back && x.back.msAfterServer} ms after the server]`).join(' ')}`)
    assert.deepEqual(r.errors, [], 'no error: the capture survives')
    for (const [i, x] of r.rounds.entries()) {
      assert.ok(isTone(x.before), `cycle ${i}: the tone before the loss: ${JSON.stringify(x.before)}`)
      assert.equal(x.lost && x.lost.code, 'DEVICE_LOST', `cycle ${i}: 'disconnect' with DEVICE_LOST`)
      assert.ok(x.lost.ms < 1000, `cycle ${i}: 'disconnect' ${x.lost.ms} ms after the kill`)
      assert.ok(x.back, `cycle ${i}: no 'reconnect' within 10 s of the server's return`)
      assert.ok(isTone(x.after), `cycle ${i}: the tone after the return: ${JSON.stringify(x.after)}`)
    }
    assert.equal(r.log, `data${' disconnect reconnect flagged data'.repeat(3)}`)
  })

  test(`alsa, server reached ${how === 'tcp' ? 'over TCP' : 'through client.conf only'}, XDG_RUNTIME_DIR without a server: a 1.2 s suspend of the sink is no loss`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['suspend', 'alsa', '1200'], 60_000, await reachEnv(how, { runtimeDir: true }))
    t.diagnostic(`log ${r.log}; gap ${r.gapFrames} frames; after ${JSON.stringify(r.after)}; parec after ${JSON.stringify(r.reference)}`)
    assert.deepEqual(r.errors, [])
    assert.equal(r.disconnects, 0, `the server lived: no 'disconnect' (${r.log})`)
    assert.ok(isTone(r.before), `the tone before: ${JSON.stringify(r.before)}`)
    if (isTone(r.reference)) {
      assert.ok(isTone(r.after), `the server delivers the tone again (parec hears it), so must pcmtap: ${JSON.stringify(r.after)}`)
    } else {
      // PipeWire 0.3.65's null sink stays stalled after a resume: parec gets nothing either
      // (README "Devices that change"). Never so on PulseAudio; pcmtap then records no signal.
      assert.equal(serverMode, 'pipewire', `PulseAudio delivers the tone after a resume: parec ${JSON.stringify(r.reference)}`)
      assert.ok(r.after.rms < 0.01, `nothing but silence while the server delivers nothing: ${JSON.stringify(r.after)}`)
    }
  })
}

// A suspend longer than the 3 s stall rule, under reconnect: PulseAudio delivers nothing while
// the sink is suspended, so the capture is 'disconnect'ed and comes back at the resume with the
// gap counted: within 2 % of the time the sink was suspended (bracketed by the two pactl runs),
// give or take 100 ms. Why the 100 ms: the gap runs between the host's capture times of the
// last block before and the first after, and a host dates a block when its callback runs (less
// the latency it reports): a block handed over late is dated late. On a loaded 2-core machine
// (CI beside a Wine process loop) one such late block made 3920 ms of a suspend of 4000-4012 ms. PipeWire 0.3.65 delivers zeros at
// the clock's pace instead (no event, nothing missing), and stays silent after the resume
// (parec too: the server's, see the 1.2 s case above).
for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: a 4 s suspend of the sink under reconnect: one honest outcome per server, the gap counted within 2 % ± 100 ms`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const r = scenario(t, ['suspend', host, '4000'], 60_000)
    t.diagnostic(`log ${r.log}; away ${Math.round(r.away)} ms (${Math.round(r.awayAtLeast)}-${Math.round(r.awayAtMost)}); gap ${r.gapFrames} frames (${Math.round(r.gapFrames / 48)} ms); flagged ${JSON.stringify(r.flagged)}`)
    assert.deepEqual(r.errors, [])
    assert.ok(isTone(r.before), `the tone before: ${JSON.stringify(r.before)}`)
    if (serverMode === 'pulseaudio') {
      assert.equal(r.log, 'data disconnect reconnect flagged data')
      const gapMs = r.gapFrames / 48
      const [least, most] = [r.awayAtLeast * 0.98 - 100, r.awayAtMost * 1.02 + 100]
      assert.ok(gapMs > least && gapMs < most, `gap ${gapMs.toFixed(0)} ms for ${r.awayAtLeast.toFixed(0)}-${r.awayAtMost.toFixed(0)} ms suspended`)
      assert.ok(isTone(r.after), `the tone after the resume: ${JSON.stringify(r.after)}`)
    } else {
      assert.equal(r.log, 'data', 'zeros at the clock pace: no event')
      assert.equal(r.gapFrames, 0)
    }
  })
}

test('reconnect is read once, and every accepted form constructs (devices are opened only by start())', async (t) => {
  let reads = 0
  const opts = {
    get reconnect() {
      reads++
      return reads === 1 ? { initialDelay: 200 } : 'changed'
    },
  }
  for (const o of [opts, { reconnect: false }, { reconnect: true }, { reconnect: {} }, { reconnect: { initialDelay: 10, maxDelay: 10, giveUpAfter: 100 } }, { source: 'synthetic', reconnect: false }]) {
    const cap = closeAfter(t, new Capture(o))
    assert.equal(cap.stats().audio.disconnects, 0)
    await cap.close()
  }
  assert.equal(reads, 1)
})

test('hostile reconnect values get only TypeError or RangeError with a stable code', async () => {
  const hostile = [undefined, 0, -1, 2 ** 53, -0, NaN, 1n, Symbol('x'), () => {}, new Proxy({}, {}), Object.create(null), { initialDelay: -Infinity }, { giveUpAfter: 2 ** 32 }, { maxDelay: [] }, { get initialDelay() { throw new Error('boom') } }]
  for (const v of hostile) {
    try {
      const cap = new Capture({ reconnect: v })
      await cap.close()
    } catch (err) {
      assert.ok(err instanceof TypeError || err instanceof RangeError, `${String(err)}`)
      assert.match(err.code, /^ERR_(INVALID_ARG_TYPE|INVALID_ARG_VALUE|OUT_OF_RANGE)$/)
    }
  }
})
