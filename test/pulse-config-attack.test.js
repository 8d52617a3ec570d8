'use strict'
// Another user cannot steer root's capture through pcmtap's libpulse configuration (issue 14,
// item 1): nothing pcmtap makes libpulse read is in a directory another user can change, and no
// relative path is ever made. Each case is a child process capturing the test server's tone.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { run, scratch, nobodysDir, lines, isRoot, strace, NOBODY } = require('./pulse-config/run')
const { ensureAudioServer } = require('./audio-server')

test.before(() => ensureAudioServer())

// Root with another user's XDG_RUNTIME_DIR, as after `su` or `sudo -E`. That user owns the
// directory, so they can rename anything pcmtap made there and plant a file at its path; the
// planted configuration names a cookie file libpulse would create and fill (O_RDWR|O_CREAT).
// The other user is `nobody`: the directory is chowned to it and the attack runs as it.
test("root with another user's XDG_RUNTIME_DIR: a configuration planted there is never read", { skip: isRoot ? false : 'needs root (the victim here is root, the directory is chowned to nobody)' }, async (t) => {
  const dir = scratch(t)
  fs.chmodSync(dir, 0o755) // as /run/user: others may pass through
  const runtime = nobodysDir(dir, 'run')
  const home = path.join(dir, 'home')
  fs.mkdirSync(path.join(home, '.pulse'), { recursive: true })
  // The server only in root's own configuration, so that the one the plant names is the one used.
  fs.writeFileSync(path.join(home, '.pulse/client.conf'), `default-server = ${process.env.PULSE_SERVER}\ncookie-file = ${process.env.PULSE_COOKIE}\n`)
  const stolen = path.join(runtime, 'stolen-cookie')
  const env = { HOME: home, XDG_RUNTIME_DIR: runtime, PULSE_SERVER: undefined, PULSE_COOKIE: undefined, PULSE_CONFIG_PATH: undefined }
  const attack = { dir: runtime, uid: NOBODY, text: `default-server = ${process.env.PULSE_SERVER}\ncookie-file = ${stolen}\n` }
  const out = await run(t, { env, opts: { captures: 2, attack }, expectRms: false })
  if (!out) return
  assert.equal(fs.existsSync(stolen), false, `root wrote the cookie file the planted configuration named\n${out.report}`)
  assert.equal(out.attacked, false, `pcmtap's configuration was in the other user's directory: ${out.conf}`)
  for (const r of out.runs) assert.ok(r.rms > 0.3 && r.rms < 0.4, out.report)
  for (const p of [runtime, dir]) assert.ok(!out.conf.startsWith(p + '/'), out.conf)
})

// Root with another user's HOME (sudo -E): libpulse alone reads that user's client.conf, so
// pcmtap includes it too (item 2: exactly what libpulse reads), and says that user can change it.
test("root with another user's HOME: their client.conf applies as libpulse alone, and is reported", { skip: isRoot ? false : 'needs root (the files are chowned to nobody)' }, async (t) => {
  const dir = scratch(t)
  fs.chmodSync(dir, 0o755)
  const home = nobodysDir(dir, 'home', 0o755)
  const conf = path.join(nobodysDir(home, '.pulse', 0o755), 'client.conf')
  fs.writeFileSync(conf, `default-server = ${process.env.PULSE_SERVER}\ncookie-file = ${process.env.PULSE_COOKIE}\n`)
  fs.chownSync(conf, NOBODY, NOBODY)
  const env = { HOME: home, XDG_RUNTIME_DIR: path.join(dir, 'run'), PULSE_SERVER: undefined, PULSE_COOKIE: undefined, PULSE_CONFIG_PATH: undefined }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(lines(out.text).includes(`.include ${conf}`), out.text)
  // The .d directory too: absent, but that user could make it.
  assert.deepEqual(out.runs[0].pulseConfig.openToOthers, [conf, `${conf}.d`], out.report)
  assert.equal(out.warnings.length, 1)
  assert.equal(out.warnings[0].code, 'PCMTAP_PULSE_CONFIG')
  assert.match(out.warnings[0].message, /another user can change/)
})

test('XDG_RUNTIME_DIR="" makes nothing in the working directory and no relative PULSE_CLIENTCONFIG', async (t) => {
  const cwd = scratch(t)
  const out = await run(t, { env: { XDG_RUNTIME_DIR: '' }, cwd, opts: { child: true } })
  if (!out) return
  assert.deepEqual(out.cwd, [], 'nothing made in the working directory')
  assert.ok(path.isAbsolute(out.conf), out.conf)
  assert.equal(lines(out.text).at(-1), 'enable-shm = no')
  if (!strace) return t.diagnostic('the memfd-less case needs strace (fault injection): not run')
  // Without memfd: the empty XDG_RUNTIME_DIR is refused, not taken as the working directory.
  const tmp = scratch(t)
  const file = await run(t, { env: { XDG_RUNTIME_DIR: '', TMPDIR: tmp }, cwd, noMemfd: true })
  assert.deepEqual(file.cwd, [], 'nothing made in the working directory')
  assert.equal(file.runs[0].pulseConfig.setup, 'file', file.report)
  assert.equal(path.dirname(path.dirname(file.conf)), fs.realpathSync(tmp))
})
