'use strict'
// The Windows side of test/windows/*.test.js: runs under Windows node.exe (scripts/wine-node.sh),
// does one thing with pcmtap's WASAPI host and prints `RESULT <json>` as its last line. The Linux
// side drives the sound server meanwhile; it follows progress in the `log` file, where each
// event is appended as a JSON line the moment it happens (node.exe's stdout reaches Linux only
// at exit). JS thread only. Not a test file itself.
//
//   probe.js '{"op":"list"}'                       hosts(), listDevices({ all }), defaultDevice(), twice
//   probe.js '{"op":"open-each"}'                  every listed device opened alone for 0.5 s
//   probe.js '{"op":"capture","options":{...},"ms":2000,"log":"/tmp/x","until":"reconnect"}'
//   probe.js '{"op":"watch","ms":4000,"log":"/tmp/x"}'  two watchDevices() watchers for ms, then closed
//   probe.js '{"op":"watch-open"}'                 a watcher left open: the process must still exit
//   probe.js '{"op":"app"}'                        listApplications(), and start() of each kind of application capture
const fs = require('node:fs')
const path = require('node:path')
const pcmtap = require(path.join(__dirname, '..', '..'))
const native = require(path.join(__dirname, '..', '..', 'native.js'))
const { analyze, firstChannel } = require('../signal')

const job = JSON.parse(process.argv[2])
const log = (event) => {
  if (job.log) fs.appendFileSync(job.log, JSON.stringify({ ...event, at: Date.now() }) + '\n')
}
const errorInfo = (e) => e && { name: e.name, code: e.code, message: e.message, cause: e.cause === undefined ? undefined : String(e.cause && e.cause.message !== undefined ? e.cause.message : e.cause) }

/** Captures with `options` for `ms` (or until the event `until`, then 1 s more); channel 0 as floats. */
async function capture(options, { ms = 2000, until = null, maxMs = 30_000 } = {}) {
  const cap = new pcmtap.Capture({ sampleRate: 48000, channels: 2, format: 's16', ...options })
  const ch = options.channels ?? 2
  const chunks = { before: [], after: [] }
  let phase = 'before'
  let packets = 0
  let frames = 0
  let discontinuities = 0
  const events = []
  const note = (type, extra = {}) => {
    events.push({ type, at: Date.now(), ...extra })
    log({ type, ...extra })
  }
  cap.on('data', (buf, info) => {
    if (packets === 0) note('first-data')
    packets++
    frames += info.frames
    if (info.discontinuity) discontinuities++
    const mono = firstChannel(buf, options.format, ch)
    chunks[phase].push(mono)
    cap.release(buf)
  })
  let done
  const finished = new Promise((r) => (done = r))
  for (const type of ['error', 'disconnect']) cap.on(type, (e) => { note(type, errorInfo(e)); if (until === type) setTimeout(done, 1000) })
  cap.on('reconnect', (info) => { phase = 'after'; note('reconnect', { info }); if (until === 'reconnect') setTimeout(done, 1000) })
  cap.on('stop', () => { note('stop'); if (until !== 'reconnect') done() })
  const t0 = Date.now()
  try {
    await cap.start()
  } catch (e) {
    return { startError: errorInfo(e) }
  }
  const started = Date.now()
  note('started')
  let timer
  await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, until ? maxMs : ms)))])
  clearTimeout(timer)
  const stats = cap.stats()
  await cap.close()
  const join = (list) => {
    const all = new Float32Array(list.reduce((n, c) => n + c.length, 0))
    let at = 0
    for (const c of list) (all.set(c, at), (at += c.length))
    return all
  }
  const rate = options.sampleRate ?? 48000
  const seconds = (Date.now() - started) / 1000
  const signal = (list) => (list.length ? analyze(join(list), rate) : null)
  return { startMs: started - t0, seconds, packets, frames, discontinuities, events, stats, before: signal(chunks.before), after: signal(chunks.after) }
}

/** Two watchers (one native registration) for `ms`, their changes logged, then both closed. */
async function watch(ms = 4000) {
  const changes = []
  const watchers = [pcmtap.watchDevices({ host: 'wasapi' }), pcmtap.watchDevices()]
  for (const w of watchers) {
    w.on('change', (c) => {
      const change = { added: c.added.map((d) => d.name), removed: c.removed.map((d) => d.name), defaultChanged: c.defaultChanged, defaultInput: c.defaultInput && c.defaultInput.name }
      changes.push(change)
      log({ type: 'change', ...change })
    })
  }
  const open = native.deviceWatchStats()
  log({ type: 'ready', mechanism: watchers.map((w) => w.mechanism) })
  await new Promise((r) => setTimeout(r, ms))
  const t0 = performance.now()
  for (const w of watchers) w.close()
  const closeMs = performance.now() - t0
  return { mechanism: watchers.map((w) => w.mechanism), open, closed: native.deviceWatchStats(), closeMs, changes }
}

async function main() {
  if (job.op === 'list') {
    const once = () => ({ hosts: pcmtap.hosts(), devices: pcmtap.listDevices({ all: true }), listed: pcmtap.listDevices(), default: pcmtap.defaultDevice() })
    return { first: once(), second: once() }
  }
  if (job.op === 'open-each') {
    const out = []
    for (const d of pcmtap.listDevices()) {
      const r = await capture({ device: d.id }, { ms: 500 })
      out.push({ id: d.id, name: d.name, packets: r.packets, startError: r.startError, errors: (r.events || []).filter((e) => e.type === 'error') })
    }
    return out
  }
  if (job.op === 'capture') return capture(job.options || {}, job)
  if (job.op === 'watch') return watch(job.ms)
  if (job.op === 'app') {
    // listApplications(), then start() of each selection: its outcome, how long it took, and
    // whether the capture then closes (every attempt on a capture of its own).
    let list = null
    try {
      list = { ok: pcmtap.listApplications() }
    } catch (e) {
      list = { error: errorInfo(e) }
    }
    const attempt = async (options) => {
      const cap = new pcmtap.Capture({ sampleRate: 48000, channels: 2, ...options })
      const t0 = performance.now()
      let out
      try {
        await cap.start()
        out = { ok: true, stats: cap.stats().application }
      } catch (e) {
        out = { error: errorInfo(e) }
      }
      out.ms = Math.round(performance.now() - t0)
      await cap.close()
      out.closed = cap.closed
      return out
    }
    const missing = 4294967292 // no Windows process has this id (ids are multiples of 4 from small numbers up)
    return {
      pid: process.pid,
      list,
      self: await attempt({ application: { pid: process.pid } }),
      missing: await attempt({ application: { pid: missing } }),
      excludeTwo: await attempt({ loopback: { exclude: [process.pid, missing] } }),
      excludeOne: await attempt({ loopback: { exclude: [process.pid] } }),
      name: await attempt({ application: { name: 'node' } }),
    }
  }
  if (job.op === 'watch-open') {
    const w = pcmtap.watchDevices({ host: 'wasapi' })
    return { mechanism: w.mechanism, hub: native.deviceWatchStats() }
  }
  throw new Error(`unknown op ${job.op}`)
}

main().then(
  (r) => console.log(`RESULT ${JSON.stringify(r)}`),
  (e) => {
    console.log(`RESULT ${JSON.stringify({ thrown: errorInfo(e), stack: e.stack })}`)
    process.exitCode = 1
  },
)
