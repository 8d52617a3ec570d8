'use strict'
// Test side of test/pulse-config*.test.js: runs child.js in a fresh process against the test
// server with the 1 kHz tone playing, with the environment a case needs. Not a test file.
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ensureAudioServer, skipReason, tone, unloadModule } = require('../audio-server')
const { ROOT, childReport } = require('../helpers')

const CHILD = path.join(__dirname, 'child.js')
const NOBODY = 65534
const isRoot = process.getuid?.() === 0

/** A scratch directory, removed after the test. */
function scratch(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-pulseconf-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A directory owned by `nobody`, mode `mode` (as /run/user/<uid> of another user). */
function nobodysDir(parent, name, mode = 0o700) {
  const d = path.join(parent, name)
  fs.mkdirSync(d, { mode })
  fs.chmodSync(d, mode)
  fs.chownSync(d, NOBODY, NOBODY)
  return d
}

/** Whether strace can make memfd_create fail in a child (strace's fault injection). */
const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0

/**
 * Runs child.js; returns its report, or undefined when skipped (no server). `env` entries set
 * to undefined are removed. `noMemfd`: memfd_create fails with ENOSYS (strace injection), as on
 * a kernel or sandbox without it. `expectRms`: assert each capture heard the tone.
 */
async function run(t, { env = {}, opts = {}, cwd = ROOT, noMemfd = false, expectRms = true } = {}) {
  const srv = await ensureAudioServer()
  if (!srv.ok) return t.skip(skipReason(srv))
  const handle = await tone()
  t.after(() => unloadModule(handle))
  const full = { ...process.env, PULSE_CLIENTCONFIG: undefined, PCMTAP_PULSE_SHM: undefined, ...env }
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k]
  const argv = [CHILD, JSON.stringify(opts)]
  const [cmd, args] = noMemfd
    ? ['strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=memfd_create', '-e', 'inject=memfd_create:error=ENOSYS', '-o', '/dev/null', process.execPath, ...argv]]
    : [process.execPath, argv]
  const r = spawnSync(cmd, args, { cwd, env: full, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, childReport(r))
  const out = JSON.parse(r.stdout.trim().split('\n').pop())
  out.report = childReport(r)
  if (expectRms) {
    for (const run of out.runs) {
      assert.equal(run.error, undefined, out.report)
      assert.ok(run.rms > 0.3 && run.rms < 0.4, `the tone (RMS 0.354), heard ${run.rms}\n${out.report}`)
    }
  }
  return out
}

/** The configuration's lines other than comments. */
function lines(text) {
  return text.split('\n').filter((l) => l && !l.startsWith('#'))
}

module.exports = { run, scratch, nobodysDir, lines, isRoot, strace, NOBODY }
