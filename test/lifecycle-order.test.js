'use strict'
// start(), stop(), close() and an AbortSignal in any order, awaited or not: generated sequences
// (fast-check, seeded: PCMTAP_FC_SEED reproduces a run) must end in the state the last call
// asks for (close and abort win), with 'start'/'stop' alternating, no 'data' after 'stop', and
// the process free to exit afterwards (captures left stopped are not closed: they must not keep
// it alive). Each source runs in a child process, so a capture left running shows as a child
// that never exits. Synthetic source always; the test server's default device too.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ensureAudioServer, skipReason } = require('./audio-server')
const { runChild, childReport } = require('./helpers')

const SEED = Number(process.env.PCMTAP_FC_SEED ?? 20261203)

// The child: runs the property, prints RESULT, and must then exit on its own.
const CHILD = (options, numRuns) => `
  const fc = require('fast-check')
  const { Capture } = require('.')
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const OPTIONS = ${JSON.stringify(options)}
  async function run(ops) {
    const ac = new AbortController()
    const cap = new Capture({ ...OPTIONS, signal: ac.signal })
    const events = []
    let stopped = true
    let dataAfterStop = 0
    let packets = 0
    for (const e of ['start', 'stop', 'close']) cap.on(e, () => { events.push(e); if (e !== 'close') stopped = e === 'stop' })
    cap.on('error', (e) => events.push('error ' + e.code))
    cap.on('data', (b) => { packets++; if (stopped) dataAfterStop++; cap.release(b) })
    const calls = []
    let want = 'stopped'
    const call = (p) => calls.push(p.catch((e) => e.code))
    for (const op of ops) {
      if (op === 'start') { call(cap.start()); if (want !== 'closed') want = 'running' }
      else if (op === 'stop') { call(cap.stop()); if (want !== 'closed') want = 'stopped' }
      else if (op === 'close') { call(cap.close()); want = 'closed' }
      else if (op === 'abort') { ac.abort(); want = 'closed'; call(cap.close()) } // the same promise as the abort's close
      else if (op === 'tick') await new Promise((r) => setImmediate(r))
      else if (op === 'sleep') await sleep(15)
      else if (op === 'await') await Promise.all(calls)
    }
    await Promise.all(calls)
    // Settled: the state is final. Running: packets keep coming (a device's first one may take
    // a while on a loaded machine: waited for up to 3 s); otherwise none in 30 ms.
    const before = packets
    if (want !== 'running') await sleep(30)
    for (const t0 = performance.now(); want === 'running' && packets === before && performance.now() - t0 < 3000; ) await sleep(5)
    const state = cap.closed ? 'closed' : cap.running ? 'running' : 'stopped'
    const flow = packets - before
    const se = events.filter((e) => e === 'start' || e === 'stop')
    const alternating = se.every((e, i) => e === (i % 2 === 0 ? 'start' : 'stop'))
    const paired = se.length % 2 === (state === 'running' ? 1 : 0)
    const closes = events.filter((e) => e === 'close').length
    const problems = []
    if (state !== want) problems.push('state ' + state + ', the last call asked ' + want)
    if (!alternating || !paired) problems.push('start/stop events unpaired')
    if (closes !== (want === 'closed' ? 1 : 0) || (closes && events.at(-1) !== 'close')) problems.push('close events wrong')
    if (dataAfterStop) problems.push(dataAfterStop + " 'data' while stopped")
    if (want === 'running' && flow === 0) problems.push('running but no packets in 3 s')
    if (want !== 'running' && flow !== 0) problems.push(flow + ' packets while ' + want)
    if (events.some((e) => e.startsWith('error'))) problems.push('an error event')
    if (want === 'running') await cap.stop() // stopped, not closed: it must not hold the process
    if (problems.length) throw new Error(problems.join('; ') + ' | events: ' + events.join(' '))
  }
  const OPS = ['start', 'stop', 'close', 'abort', 'tick', 'sleep', 'await']
  const t0 = performance.now()
  fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...OPS), { minLength: 1, maxLength: 10 }), run), {
    seed: ${SEED},
    numRuns: ${numRuns},
    // The issue's case: start(); stop(); start(); await stop().
    examples: [[['start', 'stop', 'start', 'stop', 'await']], [['start', 'stop', 'start', 'await']], [['start', 'tick', 'stop', 'start', 'close']]],
  }).then(
    () => console.log('RESULT ' + JSON.stringify({ ok: true, ms: Math.round(performance.now() - t0) })),
    (e) => console.log('RESULT ' + JSON.stringify({ ok: false, message: e.message })),
  )
`

function check(t, options, numRuns, timeout) {
  const t0 = performance.now()
  const r = runChild(CHILD(options, numRuns), { timeout })
  const m = r.stdout.match(/^RESULT (.*)$/m)
  assert.ok(m, `no result (a capture kept the process alive?)\n${childReport(r)}`)
  const res = JSON.parse(m[1])
  assert.ok(res.ok, `seed ${SEED}: ${res.message}`)
  // The property ran, then the process exited by itself (runChild kills it at the timeout).
  assert.equal(r.status, 0, `the process did not exit by itself after the captures\n${childReport(r)}`)
  t.diagnostic(`seed ${SEED}: ${numRuns} sequences in ${res.ms} ms; child exited ${Math.round(performance.now() - t0 - res.ms)} ms after (start-up included)`)
}

test('synthetic: every interleaving of start/stop/close/abort ends as the last call asks', (t) => {
  check(t, { source: 'synthetic', synthetic: { paced: true } }, 300, 120_000)
})

test('device: every interleaving of start/stop/close/abort ends as the last call asks', async (t) => {
  const srv = await ensureAudioServer()
  if (!srv.ok) return t.skip(skipReason(srv))
  check(t, {}, 60, 180_000)
})
