'use strict'
// watchDevices() against the real test server: null sinks loaded and unloaded with pactl, the
// default source changed, the server killed and restarted, and `pcmtap devices --watch`.
// Which server: PulseAudio by default (`npm run test:js`); PipeWire's pulse server with
// PCMTAP_AUDIO_SERVER=pipewire (`npm run test:devices:pipewire` runs this file that way).
// This file runs its OWN server (a fresh PCMTAP_AUDIO_DIR, set before the server starts): it
// changes the default source and kills the server, which would disturb the device tests other
// files run in parallel against the shared one. Latencies are measured from the moment pactl is
// started (so they include pactl's own start-up, printed beside them) to the 'change' event.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-watch-'))
process.env.PCMTAP_AUDIO_DIR = dir
const { ensureAudioServer, skipReason, pactl, serverMode } = require('./audio-server')
const { ROOT, runChild, childReport } = require('./helpers')

const SCRIPT = path.join(ROOT, 'scripts', 'audio-server.sh')
const server = ensureAudioServer()
test.after(() => {
  execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore' })
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The latency bound asserted: generous for a loaded 2-core machine, still far from polling. */
const BOUND_MS = 1000
const HOSTS = ['alsa', 'pulseaudio']
const monitorId = (host, sink) => (host === 'alsa' ? `alsa:pulse:DEVICE=${sink}.monitor` : `pulseaudio:${sink}.monitor`)
const ids = (list) => list.map((d) => d.id)
// ALSA's `default` PCM opens (and so is listed without a server) only where there is a card.
const HAS_CARD = fs.existsSync('/dev/snd') && fs.readdirSync('/dev/snd').some((f) => /^controlC\d+$/.test(f))

async function ready(t) {
  const srv = await server
  if (!srv.ok) t.skip(skipReason(srv))
  return srv.ok
}

/** A watcher closed when test `t` ends. */
function watch(t, options) {
  const { watchDevices } = require('..')
  const w = watchDevices(options)
  t.after(() => w.close())
  return w
}

/** The first 'change' of `w` that `pred` accepts, and when it came (performance.now()). */
function nextChange(w, pred = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const seen = []
    const on = (change) => {
      seen.push({ added: ids(change.added), removed: ids(change.removed), defaultChanged: change.defaultChanged })
      if (!pred(change)) return
      clearTimeout(timer)
      w.off('change', on)
      resolve({ change, at: performance.now() })
    }
    const timer = setTimeout(() => {
      w.off('change', on)
      reject(new Error(`no such 'change' within ${ms} ms; saw ${JSON.stringify(seen)}`))
    }, ms)
    w.on('change', on)
  })
}

/** Runs pactl; resolves when it started and when it ended (performance.now()). */
async function timedPactl(...args) {
  const started = performance.now()
  const out = await pactl(...args)
  return { started, ended: performance.now(), out: out.trim() }
}

/** Loads a null sink `name`; unloaded when `t` ends (if the test did not). */
async function nullSink(t, name) {
  const r = await timedPactl('load-module', 'module-null-sink', `sink_name=${name}`)
  t.after(() => pactl('unload-module', r.out).catch(() => {}))
  return r
}

const added = (id) => (c) => ids(c.added).includes(id)
const removed = (id) => (c) => ids(c.removed).includes(id)

test('bad options are TypeErrors with stable codes; the Linux hosts watch by subscription', async (t) => {
  const { watchDevices } = require('..')
  const cases = [
    [5, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 'nope' }, 'ERR_INVALID_ARG_VALUE'],
    [{ hots: 'alsa' }, 'ERR_INVALID_ARG_VALUE'],
  ]
  for (const [options, code] of cases) assert.throws(() => watchDevices(options), (e) => e instanceof TypeError && e.code === code, JSON.stringify(options))
  assert.throws(() => watchDevices({ host: 'wasapi' }), { code: 'HOST_UNAVAILABLE' })
  if (!(await ready(t))) return
  for (const host of [undefined, ...HOSTS]) assert.equal(watch(t, { host }).mechanism, 'subscription', String(host))
})

for (const host of HOSTS) {
  test(`${host}: a null sink loaded adds its monitor within ${BOUND_MS} ms, unloaded removes it`, async (t) => {
    if (!(await ready(t))) return
    const w = watch(t, { host })
    const id = monitorId(host, `pcmtap_watch_${host}`)
    assert.ok(!ids(require('..').listDevices({ host })).includes(id))
    const change = nextChange(w, added(id))
    const load = await nullSink(t, `pcmtap_watch_${host}`)
    const { change: c, at } = await change
    assert.deepEqual(ids(c.added), [id])
    assert.deepEqual(c.removed, [])
    assert.equal(c.defaultChanged, false)
    const gone = nextChange(w, removed(id))
    const unload = await timedPactl('unload-module', load.out)
    const { change: c2, at: at2 } = await gone
    assert.deepEqual([ids(c2.added), ids(c2.removed)], [[], [id]])
    const ms = [at - load.started, at2 - unload.started].map(Math.round)
    const own = [load.ended - load.started, unload.ended - unload.started].map(Math.round)
    t.diagnostic(`${serverMode}, ${host}: added after ${ms[0]} ms, removed after ${ms[1]} ms (pactl itself took ${own[0]} / ${own[1]} ms)`)
    for (const x of ms) assert.ok(x < BOUND_MS, `${x} ms`)
  })
}

test('set-default-source: defaultChanged with the new defaultInput, and back', async (t) => {
  if (!(await ready(t))) return
  const w = watch(t, { host: 'pulseaudio' })
  // Listening before the load: the change can come before pactl returns.
  const loaded = nextChange(w, added('pulseaudio:pcmtap_watch_def.monitor'))
  await nullSink(t, 'pcmtap_watch_def')
  await loaded
  const before = require('..').defaultDevice({ host: 'pulseaudio' }).id
  t.after(() => pactl('set-default-source', before.replace(/^pulseaudio:/, '')).catch(() => {}))
  const switched = nextChange(w, (c) => c.defaultChanged)
  const r = await timedPactl('set-default-source', 'pcmtap_watch_def.monitor')
  const { change: c, at } = await switched
  assert.equal(c.defaultInput && c.defaultInput.id, 'pulseaudio:pcmtap_watch_def.monitor')
  assert.equal(c.defaultInput.isDefault, true)
  assert.deepEqual([c.added, c.removed], [[], []])
  const back = nextChange(w, (c) => c.defaultChanged)
  await pactl('set-default-source', before.replace(/^pulseaudio:/, ''))
  assert.equal((await back).change.defaultInput.id, before)
  t.diagnostic(`${serverMode}: defaultChanged after ${Math.round(at - r.started)} ms (pactl itself took ${Math.round(r.ended - r.started)} ms)`)
  assert.ok(at - r.started < BOUND_MS)
})

/** How many clients the server lists under the hub's name. */
async function hubClients() {
  return (await pactl('list', 'clients')).split('\n').filter((l) => /application\.name = "pcmtap device watch"/.test(l)).length
}

test('watchers share one subscription: one hub listener, one connection the server sees; the last close() ends it', async (t) => {
  if (!(await ready(t))) return
  const native = require('../native.js')
  assert.deepEqual(native.deviceWatchStats().listeners, 0, 'no watcher of an earlier test is left')
  const c0 = native.deviceWatchStats().connections
  const w1 = watch(t, { host: 'alsa' })
  const w2 = watch(t, { host: 'pulseaudio' })
  const w3 = watch(t)
  for (let i = 0; i < 200 && native.deviceWatchStats().connections === c0; i++) await new Promise((r) => setTimeout(r, 10))
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(native.deviceWatchStats(), { listeners: 1, threads: 1, connections: c0 + 1 })
  assert.equal(await hubClients(), 1, 'the server lists one pcmtap device watch client')
  const seen = [w1, w2, w3].map((w, i) => nextChange(w, added(monitorId(i === 1 ? 'pulseaudio' : 'alsa', 'pcmtap_watch_share'))))
  await nullSink(t, 'pcmtap_watch_share')
  await Promise.all(seen)
  w1.close()
  w2.close()
  assert.deepEqual(native.deviceWatchStats().listeners, 1)
  w3.close()
  w3.close() // idempotent
  assert.deepEqual(native.deviceWatchStats(), { listeners: 0, threads: 0, connections: c0 + 1 })
  for (let i = 0; i < 100 && (await hubClients()) > 0; i++) await new Promise((r) => setTimeout(r, 20))
  assert.equal(await hubClients(), 0, 'the server saw the connection end')
})

test('close() stops events: a closed watcher hears nothing while another one hears the change', async (t) => {
  if (!(await ready(t))) return
  const closed = watch(t)
  const open = watch(t)
  let after = 0
  closed.on('change', () => after++)
  closed.close()
  assert.equal(closed.closed, true)
  const seen = nextChange(open, added(monitorId('alsa', 'pcmtap_watch_closed')))
  await nullSink(t, 'pcmtap_watch_closed')
  await seen
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(after, 0)
})

test('a process with only a watcher (or a polling one) exits by itself', async (t) => {
  if (!(await ready(t))) return
  for (const env of [{}, { PCMTAP_SIMULATE_NO_DEVICE_EVENTS: '1' }]) {
    const code = `
      const { watchDevices } = require('.')
      const w = watchDevices()
      w.on('change', () => {})
      const t0 = Date.now()
      setTimeout(() => {}, 300) // the hub connects and wakes JS once meanwhile
      process.on('exit', () => console.log('EXIT ' + w.mechanism + ' ' + (Date.now() - t0)))`
    const r = runChild(code, { env, timeout: 20_000 })
    assert.equal(r.status, 0, childReport(r))
    const [, mechanism, ms] = r.stdout.match(/^EXIT (\w+) (\d+)$/m) || []
    assert.equal(mechanism, env.PCMTAP_SIMULATE_NO_DEVICE_EVENTS ? 'poll' : 'subscription', childReport(r))
    assert.ok(Number(ms) < 2000, `exited after ${ms} ms`)
  }
})

test('a Worker terminated with a live watcher leaves no hub listener and no hub thread', async (t) => {
  if (!(await ready(t))) return
  const { Worker } = require('node:worker_threads')
  const native = require('../native.js')
  const worker = new Worker(`
    const { watchDevices } = require(${JSON.stringify(ROOT)})
    watchDevices().on('change', () => {})
    require('node:worker_threads').parentPort.postMessage('watching')
    setInterval(() => {}, 1000)`, { eval: true })
  await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
  assert.deepEqual([native.deviceWatchStats().listeners, native.deviceWatchStats().threads], [1, 1])
  await worker.terminate()
  assert.deepEqual([native.deviceWatchStats().listeners, native.deviceWatchStats().threads], [0, 0])
})

test('the poll fallback (as on Windows and macOS) sees a null sink within ~1 s', async (t) => {
  if (!(await ready(t))) return
  const code = `
    const { execFileSync } = require('node:child_process')
    const { watchDevices } = require('.')
    const w = watchDevices()
    const t0 = Date.now()
    const alive = setTimeout(() => {}, 5000) // the poll timer is unref'd like the subscription
    w.on('change', (c) => { console.log('CHANGE ' + w.mechanism + ' ' + (Date.now() - t0) + ' ' + JSON.stringify(c.added.map((d) => d.id))); w.close(); clearTimeout(alive) })
    const mod = execFileSync('pactl', ['load-module', 'module-null-sink', 'sink_name=pcmtap_watch_poll']).toString().trim()
    process.on('exit', () => execFileSync('pactl', ['unload-module', mod]))`
  const r = runChild(code, { env: { PCMTAP_SIMULATE_NO_DEVICE_EVENTS: '1' }, timeout: 20_000 })
  assert.equal(r.status, 0, childReport(r))
  const [, mechanism, ms, list] = r.stdout.match(/^CHANGE (\w+) (\d+) (.*)$/m) || []
  assert.equal(mechanism, 'poll', childReport(r))
  assert.deepEqual(JSON.parse(list), [monitorId('alsa', 'pcmtap_watch_poll')])
  t.diagnostic(`${serverMode}: poll saw the sink after ${ms} ms`)
  assert.ok(Number(ms) < 1000 + BOUND_MS, `${ms} ms`)
})

/** `pcmtap devices --watch --host pulseaudio` as a child: `until(re)` waits for its output,
 * `end(signal)` sends the signal and resolves `{ status, signal }`. */
function watchCli(t, env = process.env) {
  const c = spawn(process.execPath, [path.join(ROOT, 'bin', 'pcmtap.js'), 'devices', '--watch', '--host', 'pulseaudio'], { cwd: ROOT, env })
  const out = { stdout: '', stderr: '' }
  c.stdout.on('data', (d) => (out.stdout += d))
  c.stderr.on('data', (d) => (out.stderr += d))
  const exited = new Promise((resolve) => c.on('close', (status, signal) => resolve({ status, signal })))
  t.after(() => c.kill('SIGKILL'))
  const report = () => `${out.stdout}\n--- stderr\n${out.stderr}`
  return {
    out,
    report,
    async until(re) {
      const deadline = Date.now() + 10_000
      while (!re.test(out.stdout)) {
        assert.ok(Date.now() < deadline, `no ${re} in:\n${report()}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    end(signal) {
      c.kill(signal)
      return exited
    },
  }
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`pcmtap devices --watch prints the table, then + and - lines as sinks come and go; ${signal} exits 0`, async (t) => {
    if (!(await ready(t))) return
    const cli = watchCli(t)
    await cli.until(/^pulseaudio:pcmtap_test\.monitor\s/m)
    const load = await nullSink(t, 'pcmtap_watch_cli')
    await cli.until(/^\+ pulseaudio:pcmtap_watch_cli\.monitor \(.+\)$/m)
    await pactl('unload-module', load.out)
    await cli.until(/^- pulseaudio:pcmtap_watch_cli\.monitor \(.+\)$/m)
    assert.deepEqual(await cli.end(signal), { status: 0, signal: null }, cli.report())
    assert.equal(cli.out.stderr, '')
  })
}

test('pcmtap devices --watch started before the server: no devices, then + lines when it starts', async (t) => {
  if (!(await ready(t))) return
  const { privateServerDir } = require('./audio-server')
  const env = { ...process.env, PCMTAP_AUDIO_DIR: privateServerDir(t) } // not started yet
  for (const m of execFileSync('bash', [SCRIPT, 'env'], { env, encoding: 'utf8' }).matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2]
  const cli = watchCli(t, env)
  await cli.until(/^host pulseaudio: 0 devices$/m)
  await cli.until(/^watching \(subscription\)/m)
  execFileSync('bash', [SCRIPT, 'start'], { env, stdio: 'ignore' })
  const started = Date.now()
  await cli.until(/^\+ pulseaudio:pcmtap_test\.monitor \(.+\)$/m)
  t.diagnostic(`${serverMode}: the + line came ${Date.now() - started} ms after the start script returned`)
  assert.deepEqual(await cli.end('SIGTERM'), { status: 0, signal: null }, cli.report())
})

// Last: it kills the server (this file's own) and starts it again.
test('server killed: every device removed (one change); restarted: they are added back', async (t) => {
  if (!(await ready(t))) return
  const { listDevices } = require('..')
  const watchers = HOSTS.map((host) => ({ host, w: watch(t, { host }), before: listDevices({ host }) }))
  const pid = Number(execFileSync('bash', [SCRIPT, 'pids'], { encoding: 'utf8' }).trim().split(/\s+/)[0])
  const gone = watchers.map(({ w, before }) => nextChange(w, (c) => before.every((d) => ids(c.removed).includes(d.id))))
  const killed = performance.now()
  process.kill(pid, 'SIGKILL')
  const lost = await Promise.all(gone)
  for (const [i, { host }] of watchers.entries()) {
    const c = lost[i].change
    // Without a server the alsa host lists ALSA's own `default` PCM where it opens (not without
    // a sound card: test/quiet-first-run.test.js); the pulseaudio host nothing.
    assert.deepEqual(ids(c.added), host === 'alsa' && HAS_CARD ? ['alsa:default'] : [], host)
    assert.equal(c.defaultChanged, true)
  }
  const back = watchers.map(({ w, before }) => nextChange(w, (c) => before.every((d) => ids(c.added).includes(d.id)), 15_000))
  const restarting = performance.now()
  execFileSync('bash', [SCRIPT, 'start'], { stdio: 'ignore' })
  const started = performance.now()
  const returned = await Promise.all(back)
  for (const [i, { before }] of watchers.entries()) {
    assert.equal(returned[i].change.defaultInput && returned[i].change.defaultInput.id, before.find((d) => d.isDefault).id)
  }
  const ms = (x) => Math.round(x)
  t.diagnostic(`${serverMode}: removed after ${lost.map((x) => ms(x.at - killed)).join(' / ')} ms (alsa / pulseaudio); added back ${returned.map((x) => ms(x.at - started)).join(' / ')} ms after the start script returned (which took ${ms(started - restarting)} ms)`)
  for (const x of lost) assert.ok(x.at - killed < BOUND_MS, `${ms(x.at - killed)} ms`)
})
