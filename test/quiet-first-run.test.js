'use strict'
// A first run on a machine with no sound card and no sound server (a container, a CI runner, a
// VM without audio): pcmtap prints nothing of libasound's on stderr, and says in one error what
// is missing (DEVICE_NOT_FOUND, the ALSA detail as `cause`); listDevices() is empty and
// defaultDevice() null. A named ALSA PCM that does not open keeps libasound's reason as the
// error's cause. Each case runs the real addon in a child process with no server reachable:
// private empty XDG_RUNTIME_DIR and HOME, PULSE_SERVER at a socket nobody listens on, no
// PCMTAP_* or other PULSE_* variables. Linux only (test/windows-skip.json).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT, childReport } = require('./helpers')

// The cases without a device need a machine without a sound card (ALSA's `default` opens where
// there is one). CI runners and containers have none.
const HAS_CARD = (() => {
  try {
    return fs.readdirSync('/dev/snd').some((f) => /^controlC\d+$/.test(f))
  } catch {
    return false
  }
})()
const NEEDS_NO_CARD = HAS_CARD && 'this machine has a sound card (/dev/snd/controlC*): its default device opens'

const ALSA_LINE = /^ALSA lib /m

/** A private environment with no sound server reachable: `{ env, runtime, home, dir }`. */
function noServer(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-quiet-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const runtime = path.join(dir, 'run')
  const home = path.join(dir, 'home')
  fs.mkdirSync(runtime, { mode: 0o700 })
  fs.mkdirSync(home)
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(PCMTAP_|PULSE_|PIPEWIRE_)/.test(k) && k !== 'XDG_RUNTIME_DIR' && k !== 'HOME') env[k] = v
  }
  Object.assign(env, { XDG_RUNTIME_DIR: runtime, HOME: home, PULSE_SERVER: `unix:${path.join(dir, 'nobody-listens')}` })
  return { env, runtime, home, dir }
}

/** Runs `args` (after node) in `ROOT` with `env`. */
function run(env, args, timeout = 60_000) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error }
}

/** What start() of a capture with `options` rejects with, printed by the child as JSON. */
const START = (options) => `
  const { Capture } = require('.')
  const cap = new Capture(${JSON.stringify(options)})
  cap.start().then(
    () => { console.log(JSON.stringify({ started: true })); return cap.close() },
    (e) => { console.log(JSON.stringify({ code: e.code, message: e.message, cause: e.cause && e.cause.message })); return cap.close() })
`

function lastJson(r) {
  const line = r.stdout.trim().split('\n').pop()
  try {
    return JSON.parse(line)
  } catch {
    assert.fail(`no JSON on stdout\n${childReport(r)}`)
  }
}

test('no card, no server: listDevices() is empty, defaultDevice() null, and libasound prints nothing', { skip: NEEDS_NO_CARD }, (t) => {
  const { env } = noServer(t)
  // probe: true opens what it lists, and only that: never a hidden plugin PCM (the `jack`
  // plugin's libjack printed 5 lines of its own before).
  const r = run(env, ['-e', `
    const { listDevices, defaultDevice } = require('.')
    const all = listDevices({ all: true }).map((d) => d.id)
    console.log(JSON.stringify({ list: listDevices(), probed: listDevices({ probe: true }), def: defaultDevice(), all }))
  `])
  assert.equal(r.status, 0, childReport(r))
  assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
  assert.equal(r.stderr, '', childReport(r))
  const { list, probed, def, all } = lastJson(r)
  assert.deepEqual(list, [], 'no device that opens is listed')
  assert.deepEqual(probed, [], 'nor with probe: true')
  assert.equal(def, null, 'no default device')
  assert.ok(all.includes('alsa:default'), `listed with all: true: ${all}`)
})

test('no card, no server: start() rejects with one DEVICE_NOT_FOUND naming both, libasound\'s messages as its cause', { skip: NEEDS_NO_CARD }, (t) => {
  const { env, dir } = noServer(t)
  for (const options of [{}, { device: 'default' }]) {
    const r = run(env, ['-e', START(options)])
    assert.equal(r.status, 0, childReport(r))
    assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
    const e = lastJson(r)
    assert.equal(e.code, 'DEVICE_NOT_FOUND', childReport(r))
    assert.match(e.message, /^no sound card and no sound server: ALSA finds no sound card/)
    // The socket tried: PULSE_SERVER's (libpulse's and cpal's client's).
    assert.ok(e.message.includes(`unix:${path.join(dir, 'nobody-listens')}`), e.message)
    assert.doesNotMatch(e.message, /\n/, 'one line')
    assert.equal(typeof e.cause, 'string', `a cause: ${JSON.stringify(e)}`)
    assert.match(e.cause, /Unknown PCM default|cannot find card/, e.cause)
    assert.doesNotMatch(e.cause, /^ALSA lib /m)
  }
})

test('no card, no server: the sockets libpulse looks for are named when PULSE_SERVER is unset', { skip: NEEDS_NO_CARD }, (t) => {
  const { env, runtime } = noServer(t)
  delete env.PULSE_SERVER
  const r = run(env, ['-e', START({})])
  assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
  const e = lastJson(r)
  assert.equal(e.code, 'DEVICE_NOT_FOUND', childReport(r))
  assert.ok(e.message.includes(`unix:${path.join(runtime, 'pulse', 'native')}`), e.message)
})

test('no card, no server: npm run demo records the synthetic tone, no line from libasound', { skip: NEEDS_NO_CARD }, (t) => {
  const { env, dir } = noServer(t)
  const file = path.join(dir, 'demo.wav')
  const r = run(env, [path.join(ROOT, 'examples', 'demo.js'), file], 90_000)
  assert.equal(r.status, 0, childReport(r))
  assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
  assert.match(r.stdout, /DEVICE_NOT_FOUND: no sound card and no sound server/, childReport(r))
  assert.match(r.stdout, /synthetic 1 kHz tone/, childReport(r))
  assert.ok(fs.statSync(file).size > 44, 'a WAV file with data')
})

test('no card, no server: pcmtap record exits 1 with one line saying so', { skip: NEEDS_NO_CARD }, (t) => {
  const { env, dir } = noServer(t)
  const r = run(env, [path.join(ROOT, 'bin', 'pcmtap.js'), 'record', path.join(dir, 'x.wav'), '--seconds', '1'])
  assert.equal(r.status, 1, childReport(r))
  assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.length, 1, childReport(r))
  assert.match(lines[0], /^pcmtap: DEVICE_NOT_FOUND: no sound card and no sound server: /)
})

test('a named ALSA PCM that does not open: libasound\'s reason is the cause, not a line on stderr', (t) => {
  const { env, home } = noServer(t)
  // A PCM of the user's configuration whose slave does not exist: libasound says which.
  fs.writeFileSync(
    path.join(home, '.asoundrc'),
    'pcm.pcmtap_broken {\n  type plug\n  slave.pcm "pcmtap_no_such_pcm"\n  hint { show on description "pcmtap test" }\n}\n',
  )
  const listed = run(env, ['-e', `console.log(JSON.stringify(require('.').listDevices({ all: true }).map((d) => d.id)))`])
  assert.ok(lastJson(listed).includes('alsa:pcmtap_broken'), `~/.asoundrc read: ${childReport(listed)}`)
  const r = run(env, ['-e', START({ device: { id: 'alsa:pcmtap_broken' } })])
  assert.equal(r.status, 0, childReport(r))
  assert.doesNotMatch(r.stderr, ALSA_LINE, childReport(r))
  const e = lastJson(r)
  assert.equal(e.code, 'DEVICE_NOT_FOUND', childReport(r))
  assert.match(e.message, /'alsa:pcmtap_broken'/)
  assert.equal(typeof e.cause, 'string', `a cause: ${JSON.stringify(e)}`)
  // This open's reason only, not the probing of `default` before it.
  assert.match(e.cause, /^pcm\.c:\d+:\(snd_pcm_open_noupdate\) Unknown PCM pcmtap_no_such_pcm$/, e.cause)
})
