'use strict'
// The libpulse client configuration pcmtap gives the ALSA `pulse` plugin's connections
// (src/capture/pulse_conf.rs, pulse_store.rs): shared memory off through a sealed memfd (nothing
// on disk), else a file no other user can change, else libpulse's own configuration reported in
// stats() and one process warning; child processes see the same configuration; the opt-outs
// are respected. Each case is a child process (the setting is per process) capturing the test
// server's 1 kHz tone. Which user files it includes: test/pulse-config-files.test.js; attacks:
// test/pulse-config-attack.test.js.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { run, scratch, nobodysDir, lines, isRoot, strace } = require('./pulse-config/run')

const ROOT_ONLY = isRoot ? false : 'needs root: directories owned by another user (nobody) are made with chown'
const NEEDS_STRACE = strace ? false : 'needs strace (its fault injection makes memfd_create fail)'

test('shared memory off through a sealed memfd: nothing on disk, read through /proc/self/fd', async (t) => {
  const runtime = scratch(t)
  const out = await run(t, { env: { XDG_RUNTIME_DIR: runtime }, opts: { captures: 2 } })
  if (!out) return
  assert.match(out.conf, /^\/proc\/self\/fd\/\d+$/, out.report)
  assert.equal(lines(out.text).at(-1), 'enable-shm = no')
  assert.deepEqual(out.runs[1].pulseConfig, { setup: 'memfd', notIncluded: [], openToOthers: [] })
  assert.deepEqual(fs.readdirSync(runtime), [], 'nothing written in XDG_RUNTIME_DIR')
  assert.deepEqual(out.warnings, [])
})

test('a child process sees the same configuration: PULSE_CLIENTCONFIG and the sealed file it names', async (t) => {
  const out = await run(t, { env: { XDG_RUNTIME_DIR: scratch(t) }, opts: { child: true } })
  if (!out) return
  assert.deepEqual(out.child.node, { conf: out.conf, text: out.text }, out.report)
  assert.equal(out.child.sh, out.text, 'through sh too (the descriptor is inherited, not close-on-exec)')
})

test('without memfd: a private file whose every directory only root or this user can change', { skip: ROOT_ONLY || NEEDS_STRACE }, async (t) => {
  const dir = scratch(t)
  const tmp = path.join(dir, 'tmp')
  fs.mkdirSync(tmp, { mode: 0o755 })
  const env = { XDG_RUNTIME_DIR: nobodysDir(dir, 'run'), TMPDIR: tmp }
  const out = await run(t, { env, noMemfd: true, opts: { captures: 2, child: true } })
  if (!out) return
  assert.equal(out.runs[0].pulseConfig.setup, 'file', out.report)
  assert.equal(path.dirname(out.conf), path.join(fs.realpathSync(tmp), 'pcmtap-0'))
  assert.equal(fs.statSync(path.dirname(out.conf)).mode & 0o777, 0o700)
  assert.deepEqual(fs.readdirSync(path.join(dir, 'run')), [], "nothing in the other user's directory")
  assert.equal(lines(out.text).at(-1), 'enable-shm = no')
  assert.equal(out.child.node.text, out.text)
  assert.deepEqual(out.warnings, [])
})

test('no safe place at all: libpulse left alone, said in stats().pulseConfig and one PCMTAP_PULSE_CONFIG warning', { skip: ROOT_ONLY || NEEDS_STRACE }, async (t) => {
  const dir = scratch(t)
  const env = { XDG_RUNTIME_DIR: nobodysDir(dir, 'run'), TMPDIR: nobodysDir(dir, 'tmp', 0o777) }
  const out = await run(t, { env, noMemfd: true, opts: { captures: 2 } })
  if (!out) return
  assert.equal(out.conf, null, 'PULSE_CLIENTCONFIG left unset')
  const pc = out.runs[1].pulseConfig
  assert.equal(pc.setup, 'unavailable', out.report)
  assert.match(pc.reason, /memfd: .*ENOSYS|memfd: Function not implemented/)
  assert.match(pc.reason, /another user could replace/)
  assert.deepEqual([pc.notIncluded, pc.openToOthers], [[], []])
  assert.equal(out.warnings.length, 1, 'one warning for two captures')
  assert.equal(out.warnings[0].code, 'PCMTAP_PULSE_CONFIG')
  assert.match(out.warnings[0].message, /shared memory stays on/)
  assert.deepEqual([fs.readdirSync(path.join(dir, 'run')), fs.readdirSync(path.join(dir, 'tmp'))], [[], []])
})

test('PCMTAP_PULSE_SHM=1 leaves the environment alone', async (t) => {
  const out = await run(t, { env: { PCMTAP_PULSE_SHM: '1', XDG_RUNTIME_DIR: scratch(t) } })
  if (!out) return
  assert.equal(out.conf, null)
  assert.deepEqual(out.runs[0].pulseConfig, { setup: 'opted-out', notIncluded: [], openToOthers: [] })
})

test('a PULSE_CLIENTCONFIG the user set is used as is', async (t) => {
  const dir = scratch(t)
  const mine = path.join(dir, 'mine.conf')
  fs.writeFileSync(mine, 'enable-shm = no\n')
  const out = await run(t, { env: { PULSE_CLIENTCONFIG: mine, XDG_RUNTIME_DIR: dir } })
  if (!out) return
  assert.equal(out.conf, mine)
  assert.equal(out.text, 'enable-shm = no\n')
  assert.deepEqual(out.runs[0].pulseConfig, { setup: 'user', notIncluded: [], openToOthers: [] })
})
