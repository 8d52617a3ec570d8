'use strict'
// The suite's own hygiene: a test whose assertion fails while its capture runs must not keep the
// test file's process alive (a running capture holds the event loop open, as it should), or the
// runner hangs. Tests close their captures with closeAfter(t, cap) (test/helpers.js, t.after())
// or in `finally`. Each variant runs a small test file in a child `node --test`, the assertion
// failing in the test's body or in a 'data' listener; the one without either pattern is the
// control: it must still be alive after its failure was reported.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT } = require('./helpers')

const EXIT_BOUND = 60_000 // a loaded 2-core machine starts node --test and the addon in seconds
const CONTROL_GRACE = 5_000 // how long the control stays alive after its failure was reported

/** A test file whose one test fails an assertion between start() and close(). */
function childFile(pattern) {
  const body = `
    cap.on('data', (buf) => cap.release(buf))
    await cap.start()
    assert.equal(cap.running, false, 'DELIBERATE FAILURE while the capture runs')
    await cap.close()`
  const tests = {
    closeAfter: `async (t) => {
      const cap = closeAfter(t, new Capture(OPTIONS))${body}
    }`,
    finally: `async () => {
      const cap = new Capture(OPTIONS)
      try {${body}
      } finally {
        await cap.close()
      }
    }`,
    // The assertion fails in a 'data' listener: the runner fails the test on the uncaught error,
    // ends it without waiting for 'stop', and runs its after hooks.
    listener: `async (t) => {
      const cap = closeAfter(t, new Capture(OPTIONS))
      let n = 0
      cap.on('data', (buf) => {
        assert.equal(cap.release(buf), false, 'DELIBERATE FAILURE in a listener while the capture runs')
        if (++n === 50) cap.stop()
      })
      cap.start()
      await once(cap, 'stop')
    }`,
    none: `async () => {
      const cap = new Capture(OPTIONS)${body}
    }`,
  }
  return `'use strict'
    const test = require('node:test')
    const assert = require('node:assert/strict')
    const { once } = require('node:events')
    const { Capture } = require(${JSON.stringify(ROOT)})
    const { closeAfter } = require(${JSON.stringify(path.join(ROOT, 'test', 'helpers.js'))})
    const OPTIONS = { source: 'synthetic', synthetic: { waveform: 'counter', paced: true } }
    test('fails mid-capture', ${tests[pattern]})
  `
}

/** Runs `file` with `node --test`; resolves when it exits, or `grace` ms after it reported its
 * failure (then its process group is killed and `aliveAfterFailure` is true), or at EXIT_BOUND
 * (killed). */
function runTestFile(file, { grace = Infinity } = {}) {
  return new Promise((resolve) => {
    // Without NODE_TEST_CONTEXT, which the runner sets for this file: the child is a runner itself.
    const { NODE_TEST_CONTEXT, ...env } = process.env
    // Its own process group: node --test runs the file in a grandchild, which a kill must reach.
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], { cwd: ROOT, env, detached: true })
    const kill = () => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch (err) {
        if (err.code !== 'ESRCH') throw err // ESRCH: the group exited just now
      }
    }
    let stdout = ''
    let stderr = ''
    let aliveAfterFailure = false
    let graceTimer = null
    const bound = setTimeout(kill, EXIT_BOUND)
    child.stdout.on('data', (d) => {
      stdout += d
      if (graceTimer === null && grace !== Infinity && /^not ok 1 - fails mid-capture/m.test(stdout)) {
        graceTimer = setTimeout(() => {
          aliveAfterFailure = true
          kill()
        }, grace)
      }
    })
    child.stderr.on('data', (d) => (stderr += d))
    const t0 = performance.now()
    child.on('close', (status, signal) => {
      clearTimeout(bound)
      clearTimeout(graceTimer)
      resolve({ status, signal, stdout, stderr, aliveAfterFailure, ms: Math.round(performance.now() - t0) })
    })
  })
}

const report = (r) => `status=${r.status} signal=${r.signal} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`

function writeChild(t, pattern) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-hygiene-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, `${pattern}.test.js`)
  fs.writeFileSync(file, childFile(pattern))
  return file
}

const PATTERNS = {
  closeAfter: 'closeAfter(t, cap)',
  finally: 'close() in finally',
  listener: "closeAfter(t, cap), the assertion in a 'data' listener",
}
for (const [pattern, title] of Object.entries(PATTERNS)) {
  test(`a test that fails mid-capture with ${title}: its file's process exits, with the failure`, async (t) => {
    const r = await runTestFile(writeChild(t, pattern))
    t.diagnostic(`exited after ${r.ms} ms`)
    assert.equal(r.signal, null, `killed at ${EXIT_BOUND} ms: the capture kept the process alive\n${report(r)}`)
    assert.equal(r.status, 1, report(r))
    assert.match(r.stdout, /^not ok 1 - fails mid-capture/m, report(r))
    assert.match(r.stdout, /DELIBERATE FAILURE/, report(r))
    assert.match(r.stdout, /^# fail 1$/m, report(r))
  })
}

test('control: without either pattern, the failed test leaves its capture running and the file never exits', async (t) => {
  const r = await runTestFile(writeChild(t, 'none'), { grace: CONTROL_GRACE })
  assert.match(r.stdout, /^not ok 1 - fails mid-capture/m, `the child test must fail first\n${report(r)}`)
  assert.equal(r.aliveAfterFailure, true, `the control exited: this test would not see a leaked capture\n${report(r)}`)
  assert.equal(r.signal, 'SIGKILL', report(r))
})
