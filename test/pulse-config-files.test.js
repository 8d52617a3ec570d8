'use strict'
// pcmtap's libpulse configuration includes exactly the client.conf files libpulse 16.1 reads
// without it, in its order (src/capture/pulse_reads.rs): `$PULSE_CONFIG_PATH/client.conf`, else
// ~/.pulse/client.conf, else ~/.config/pulse/client.conf (never $XDG_CONFIG_HOME), else
// /etc/pulse/client.conf; then that file's client.conf.d/*.conf. A path no configuration line
// can name (a newline in HOME) is left out and reported, never written into the file. Each case
// checks libpulse alone (pactl) in the same environment where it matters, then pcmtap.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { run, scratch, lines } = require('./pulse-config/run')
const { ensureAudioServer } = require('./audio-server')

// PULSE_SERVER and PULSE_COOKIE (written into the files below) are set once the server runs.
test.before(() => ensureAudioServer())

/** The test server, named only in configuration files (not in the environment). */
function serverLines() {
  return `default-server = ${process.env.PULSE_SERVER}\ncookie-file = ${process.env.PULSE_COOKIE}\n`
}
const NO_SERVER_ENV = { PULSE_SERVER: undefined, PULSE_COOKIE: undefined, PULSE_CONFIG_PATH: undefined }

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
}

/** libpulse alone in `env`: whether pactl reaches the test server. */
function pactlConnects(env) {
  const full = { ...process.env, ...env }
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k]
  return spawnSync('pactl', ['info'], { env: full, encoding: 'utf8', timeout: 10_000 }).status === 0
}

test('default-server only in ~/.pulse/client.conf: pcmtap captures from it, as libpulse alone does', async (t) => {
  const dir = scratch(t)
  const home = path.join(dir, 'home')
  write(path.join(home, '.pulse/client.conf'), serverLines())
  // ~/.config/pulse is not read when ~/.pulse/client.conf exists.
  write(path.join(home, '.config/pulse/client.conf'), 'default-server = unix:/nowhere\n')
  const env = { ...NO_SERVER_ENV, HOME: home, XDG_CONFIG_HOME: undefined, XDG_RUNTIME_DIR: path.join(dir, 'run') }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(pactlConnects(env), 'libpulse alone reaches the server through ~/.pulse/client.conf')
  assert.ok(lines(out.text).includes(`.include ${path.join(home, '.pulse/client.conf')}`), out.text)
  assert.ok(!out.text.includes('.config/pulse'), out.text)
})

test('~/.config/pulse/client.conf, then its client.conf.d/*.conf in byte order, each after the one before', async (t) => {
  const dir = scratch(t)
  const home = path.join(dir, 'home')
  const main = path.join(home, '.config/pulse/client.conf')
  // libpulse parses the main file first and the .d files after it: the last default-server wins.
  write(main, 'default-server = unix:/nowhere\n')
  write(`${main}.d/B-first.conf`, 'default-server = unix:/nowhere-either\n')
  write(`${main}.d/a-last.conf`, serverLines())
  write(`${main}.d/ignored.txt`, 'default-server = unix:/nowhere\n')
  const env = { ...NO_SERVER_ENV, HOME: home, XDG_CONFIG_HOME: undefined, XDG_RUNTIME_DIR: path.join(dir, 'run') }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(pactlConnects(env))
  const inc = lines(out.text).filter((l) => l.startsWith('.include '))
  assert.deepEqual(inc, [main, `${main}.d/B-first.conf`, `${main}.d/a-last.conf`].map((p) => `.include ${p}`))
})

test('a line libpulse refuses ends that file only: what came before applies, the client.conf.d files still do', async (t) => {
  const dir = scratch(t)
  const home = path.join(dir, 'home')
  const main = path.join(home, '.pulse/client.conf')
  // libpulse stops reading the main file at the unknown key (the line after it never applies),
  // then reads the .d files: through a plain .include, the refusal would end pcmtap's file.
  write(main, `cookie-file = ${process.env.PULSE_COOKIE}\nbogus-key = 1\ndefault-server = unix:/nowhere\n`)
  write(`${main}.d/server.conf`, `default-server = ${process.env.PULSE_SERVER}\n`)
  const env = { ...NO_SERVER_ENV, HOME: home, XDG_RUNTIME_DIR: path.join(dir, 'run') }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(pactlConnects(env), 'libpulse alone reaches the server')
  assert.deepEqual(lines(out.text), [
    'enable-shm = no',
    `cookie-file = ${process.env.PULSE_COOKIE}`,
    `.include ${main}.d/server.conf`,
    'enable-shm = no',
  ])
})

test('PULSE_CONFIG_PATH replaces the home directory as libpulse reads it', async (t) => {
  const dir = scratch(t)
  write(path.join(dir, 'cfg/client.conf'), serverLines())
  write(path.join(dir, 'home/.pulse/client.conf'), 'default-server = unix:/nowhere\n')
  const env = { ...NO_SERVER_ENV, PULSE_CONFIG_PATH: path.join(dir, 'cfg'), HOME: path.join(dir, 'home'), XDG_RUNTIME_DIR: path.join(dir, 'run') }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(pactlConnects(env))
  assert.deepEqual(lines(out.text).filter((l) => l.startsWith('.include ')), [`.include ${path.join(dir, 'cfg/client.conf')}`])
})

test('an .include loop under XDG_CONFIG_HOME does not crash: libpulse never reads XDG_CONFIG_HOME', async (t) => {
  const dir = scratch(t)
  write(path.join(dir, 'xdg/pulse/client.conf'), '.include client.conf\n')
  const env = { HOME: path.join(dir, 'home'), XDG_CONFIG_HOME: path.join(dir, 'xdg'), XDG_RUNTIME_DIR: path.join(dir, 'run') }
  const out = await run(t, { env })
  if (!out) return
  assert.ok(pactlConnects(env), 'libpulse alone does not crash either')
  assert.ok(!out.text.includes(path.join(dir, 'xdg')), out.text)
})

test('a newline in XDG_CONFIG_HOME or HOME never becomes a line of the configuration', async (t) => {
  const dir = scratch(t)
  const injected = 'x\ndefault-server = unix:/nowhere\n#'
  const xdg = path.join(dir, injected)
  write(path.join(xdg, 'pulse/client.conf'), '')
  const home = path.join(dir, 'home', injected)
  write(path.join(home, '.pulse/client.conf'), '')
  // The server stays in the environment: the capture works whatever the files say.
  const out = await run(t, { env: { HOME: home, XDG_CONFIG_HOME: xdg, XDG_RUNTIME_DIR: path.join(dir, 'run') } })
  if (!out) return
  assert.deepEqual(lines(out.text), ['enable-shm = no', 'enable-shm = no'], out.text)
  const pc = out.runs[0].pulseConfig
  assert.deepEqual(pc.notIncluded, [path.join(home, '.pulse/client.conf')])
  assert.equal(out.warnings.length, 1)
  assert.equal(out.warnings[0].code, 'PCMTAP_PULSE_CONFIG')
  assert.match(out.warnings[0].message, /no libpulse configuration line can name/)
})
