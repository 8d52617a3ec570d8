'use strict'
// Make the guarantees permanent (fault table: docs/faults.md). Scaled down in `npm test`;
// `npm run test:stress` (PCMTAP_STRESS=full) runs the full sizes:
// - churn: 500 create/start/stop/close cycles per source; RSS, /proc/self/fd and
//   /proc/self/task back to the baseline taken after the warm-up;
// - fuzz: every option and method argument x every hostile value, each case in a child:
//   only TypeError/RangeError with a stable code, never a signal, never another error;
// - valgrind memcheck of a short capture + release + GC + close scenario: no error with a
//   pcmtap frame.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT } = require('./helpers')
const { ensureAudioServer, skipReason } = require('./audio-server')
const { CASES } = require('./stress/fuzz-cases')

const FULL = process.env.PCMTAP_STRESS === 'full'
const CHURN = FULL ? { cycles: 500, warmup: 100 } : { cycles: 60, warmup: 20 }
const FUZZ_STRIDE = FULL ? 1 : 9
const RSS_SLACK = 16 * 1024 * 1024 // allocator noise; a leak per cycle would pass it quickly

/** Runs node with `args`; resolves with status, signal and both streams, or with `error` when
 * the child could not be started at all (reported per case, never a rejection of the test). */
function node(args, { timeout = 600_000 } = {}) {
  return new Promise((resolve) => {
    let child
    try {
      child = spawn(process.execPath, args, { cwd: ROOT, env: process.env })
    } catch (error) {
      return resolve({ status: null, signal: null, stdout: '', stderr: `could not start: ${error.code} ${error.message}`, error })
    }
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      resolve({ status, signal, stdout, stderr })
    })
  })
}

const report = (r) => `status=${r.status} signal=${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

for (const source of ['paced', 'unpaced', 'device']) {
  test(`churn: ${CHURN.cycles} cycles of the ${source} source leave RSS, fds and threads at the baseline`, async (t) => {
    if (source === 'device') {
      const srv = await ensureAudioServer()
      if (!srv.ok) return t.skip(skipReason(srv))
    }
    const r = await node(['--expose-gc', 'test/stress/churn.js', source, String(CHURN.cycles), String(CHURN.warmup)])
    assert.equal(r.status, 0, report(r))
    const { base, end } = JSON.parse(r.stdout)
    t.diagnostic(`${source}: ${r.stdout.trim()}`)
    // Under Wine (win32), /proc/self/fd is the Wine process's own: Wine opens and closes some of
    // its descriptors by itself (measured once: 288 at the baseline, 285 at the end). A leak is
    // growth there; on Linux, exactly the baseline.
    if (process.platform === 'win32') assert.ok(end.fds <= base.fds, `open file descriptors: ${base.fds} -> ${end.fds}`)
    else assert.equal(end.fds, base.fds, 'open file descriptors')
    assert.equal(end.tasks, base.tasks, 'threads')
    assert.ok(end.rss - base.rss < RSS_SLACK, `RSS grew ${end.rss - base.rss} bytes after the warm-up`)
  })
}

test(`fuzz: ${Math.ceil(CASES.length / FUZZ_STRIDE)} of ${CASES.length} hostile argument cases, each in a child, get only TypeError/RangeError with a stable code`, async () => {
  const indices = []
  for (let i = 0; i < CASES.length; i += FUZZ_STRIDE) indices.push(i)
  const bad = []
  const ok = /^(ok|threw (TypeError ERR_INVALID_ARG_(TYPE|VALUE)|RangeError ERR_OUT_OF_RANGE))\n$/
  const worker = async () => {
    for (let i = indices.shift(); i !== undefined; i = indices.shift()) {
      const r = await node(['test/stress/fuzz-cases.js', String(i)], { timeout: 60_000 })
      if (r.status !== 0 || r.signal !== null || !ok.test(r.stdout)) bad.push(`${CASES[i].join(' = ')}: ${report(r)}`)
    }
  }
  await Promise.all([worker(), worker()])
  assert.deepEqual(bad, [])
})

test('valgrind memcheck: capture + release + GC + close has no error with a pcmtap frame', async (t) => {
  const has = spawnSync('valgrind', ['--version']).status === 0
  if (!has) {
    if (process.env.CI) assert.fail('CI must run valgrind (.ci/run installs it)')
    return t.skip('valgrind is not installed')
  }
  const xml = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-vg-')), 'memcheck.xml')
  const r = await new Promise((resolve) => {
    const args = ['--tool=memcheck', '--leak-check=no', '--error-limit=no', '--xml=yes', `--xml-file=${xml}`,
      process.execPath, '--expose-gc', '--jitless', 'test/stress/valgrind-scenario.js']
    const child = spawn('valgrind', args, { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
  })
  assert.equal(r.status, 0, report(r))
  assert.match(r.stdout, /^done 4\d \d+ true$/m, report(r))
  const text = fs.readFileSync(xml, 'utf8')
  fs.rmSync(path.dirname(xml), { recursive: true, force: true })
  assert.match(text, /<\/valgrindoutput>/, 'memcheck finished its report')
  // Memory errors only (invalid reads/writes, uninitialised values, bad frees). The leak
  // records memcheck's XML adds at exit (napi registration, statics, thread-locals) are not
  // counted; that every pool was freed is checked below, exactly, with the pool counter.
  const ours = text
    .split('<error>')
    .slice(1)
    .filter((e) => !/<kind>Leak_/.test(e) && /<obj>[^<]*pcmtap[^<]*<\/obj>/.test(e))
  assert.deepEqual(ours.map((e) => e.slice(0, 2000)), [], 'memcheck errors with a pcmtap frame')
  assert.match(r.stdout, /^done \d+ 0 true$/m, 'every pool was freed')
})
