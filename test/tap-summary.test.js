'use strict'
// scripts/test-results.js, the parsers behind the summaries of `npm test` (scripts/test-all.js)
// and `npm run test:windows`, on output recorded from the real runners: node 20's
// `--test-reporter=tap` (passing, failing, skipped, todo, nested subtests, a suite, a file that
// fails to load) and cargo's libtest with `-- --quiet` (passing, failing, ignored, doc-tests).
const test = require('node:test')
const assert = require('node:assert/strict')
const { parseTap, tally, failures, skipped, parseLibtest, fileOf } = require('../scripts/test-results')

// node --test --test-reporter=tap test/a.test.js test/b.test.js (stack frames inside node cut).
const TAP = String.raw`TAP version 13
# Subtest: passes
ok 1 - passes
  ---
  duration_ms: 3.93256
  ...
# Subtest: fails \# with a hash
not ok 2 - fails \# with a hash
  ---
  duration_ms: 2.19245
  location: '/home/ci/pcmtap/test/a.test.js:4:1'
  failureType: 'testCodeFailure'
  error: |-
    one is not two
    
    1 !== 2
    
  code: 'ERR_ASSERTION'
  name: 'AssertionError'
  expected: 2
  actual: 1
  operator: 'strictEqual'
  stack: |-
    TestContext.<anonymous> (/home/ci/pcmtap/test/a.test.js:4:44)
  ...
# Subtest: skips
ok 3 - skips # SKIP no sox here
  ---
  duration_ms: 0.108891
  ...
# Subtest: todo that fails
not ok 4 - todo that fails # TODO not yet
  ---
  duration_ms: 0.09417
  location: '/home/ci/pcmtap/test/a.test.js:6:1'
  failureType: 'testCodeFailure'
  error: 'x'
  code: 'ERR_TEST_FAILURE'
  stack: |-
    TestContext.<anonymous> (/home/ci/pcmtap/test/a.test.js:6:60)
  ...
# Subtest: parent
    # Subtest: child ok
    ok 1 - child ok
      ---
      duration_ms: 0.129422
      ...
    # Subtest: child fails
    not ok 2 - child fails
      ---
      duration_ms: 0.086258
      location: '/home/ci/pcmtap/test/a.test.js:10:11'
      failureType: 'testCodeFailure'
      error: 'deep failure'
      code: 'ERR_TEST_FAILURE'
      stack: |-
        TestContext.<anonymous> (/home/ci/pcmtap/test/a.test.js:10:45)
        TestContext.<anonymous> (/home/ci/pcmtap/test/a.test.js:10:11)
      ...
    1..2
not ok 5 - parent
  ---
  duration_ms: 0.563506
  location: '/home/ci/pcmtap/test/a.test.js:7:1'
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  code: 'ERR_TEST_FAILURE'
  ...
# a note from the parent
# Subtest: a suite
    # Subtest: in suite
    ok 1 - in suite
      ---
      duration_ms: 3.167555
      ...
    1..1
ok 6 - a suite
  ---
  duration_ms: 3.437425
  type: 'suite'
  ...
# /home/ci/pcmtap/test/b.test.js:1
# throw new Error('cannot load')
# ^
# Error: cannot load
#     at Object.<anonymous> (/home/ci/pcmtap/test/b.test.js:1:7)
#     at Module._compile (node:internal/modules/cjs/loader:1521:14)
#     at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)
#     at Module.load (node:internal/modules/cjs/loader:1266:32)
#     at Module._load (node:internal/modules/cjs/loader:1091:12)
#     at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)
#     at node:internal/main/run_main_module:28:49
# Node.js v20.20.2
# Subtest: /home/ci/pcmtap/test/b.test.js
not ok 2 - /home/ci/pcmtap/test/b.test.js
  ---
  duration_ms: 216.941508
  location: '/home/ci/pcmtap/test/b.test.js:1:1'
  failureType: 'testCodeFailure'
  exitCode: 1
  signal: ~
  error: 'test failed'
  code: 'ERR_TEST_FAILURE'
  ...
1..7
# tests 9
# suites 1
# pass 3
# fail 4
# cancelled 0
# skipped 1
# todo 1
# duration_ms 465.63192
`

// cargo test --no-fail-fast -- --quiet: a lib with a passing, a failing and an ignored test, an
// integration test, a doc-test (the panic's backtrace cut).
const LIBTEST = String.raw`
running 3 tests
i. 2/3
tests::fails --- FAILED

failures:

---- tests::fails stdout ----

thread 'tests::fails' (17838) panicked at src/lib.rs:9:26:
assertion ${'`'}left == right${'`'} failed: one is not two
  left: 1
 right: 2


failures:
    tests::fails

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.07s


running 1 test
.
test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s


running 1 test
.
test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

all doctests ran in 0.22s; merged doctests compilation took 0.22s
`

test('TAP: top-level results in order, with directives, suites, nested subtests and files', () => {
  const r = parseTap(TAP)
  assert.deepEqual(r.map((x) => [x.name, x.ok, x.skip, x.todo, x.suite, x.subtests.length]), [
    ['passes', true, null, null, false, 0],
    ['fails # with a hash', false, null, null, false, 0],
    ['skips', true, 'no sox here', null, false, 0],
    ['todo that fails', false, null, 'not yet', false, 0],
    ['parent', false, null, null, false, 2],
    ['a suite', true, null, null, true, 1],
    ['/home/ci/pcmtap/test/b.test.js', false, null, null, false, 0],
  ])
  assert.deepEqual(r[4].subtests.map((s) => [s.name, s.ok, s.file]), [['child ok', true, 'test/a.test.js'], ['child fails', false, 'test/a.test.js']])
  assert.equal(r[1].file, 'test/a.test.js')
  assert.equal(r[6].file, 'test/b.test.js', 'a file that failed to load is named by its path')
  assert.equal(r[1].block[0], 'not ok 2 - fails \\# with a hash')
  assert.ok(r[1].block.some((l) => l.includes('one is not two')), 'the block holds the error')
  assert.ok(!r[1].block.some((l) => l.includes('# Subtest')), "the block stops at the YAML's end")
})

test('TAP: counts agree with node:test\'s own footer (every test and subtest, no suites; a failing todo is a todo)', () => {
  const footer = Object.fromEntries([...TAP.matchAll(/^# (tests|pass|fail|skipped|todo) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]))
  assert.deepEqual(tally(parseTap(TAP)), { tests: footer.tests, passed: footer.pass, failed: footer.fail, skipped: footer.skipped, todo: footer.todo })
  assert.deepEqual(tally(parseTap(TAP)), { tests: 9, passed: 3, failed: 4, skipped: 1, todo: 1 })
})

test('TAP: failures are the deepest failing tests, named parent > child, with file, error and a failed load\'s stderr', () => {
  const f = failures(parseTap(TAP))
  assert.deepEqual(f.map((x) => [x.file, x.name]), [
    ['test/a.test.js', 'fails # with a hash'],
    ['test/a.test.js', 'parent > child fails'],
    ['test/b.test.js', '/home/ci/pcmtap/test/b.test.js'],
  ])
  assert.ok(f[1].block.some((l) => l.includes("error: 'deep failure'")))
  assert.ok(f[2].output.some((l) => l.includes('Error: cannot load')), 'what the file printed before it failed')
  assert.deepEqual(skipped(parseTap(TAP)), [{ file: null, name: 'skips', reason: 'no sox here' }])
})

test('TAP: a run with no failures has none; empty output has no results', () => {
  const ok = 'TAP version 13\n# Subtest: a\nok 1 - a\n  ---\n  duration_ms: 1\n  ...\n# Subtest: b\nok 2 - b # SKIP\n  ---\n  duration_ms: 1\n  ...\n1..2\n# tests 2\n'
  assert.deepEqual(tally(parseTap(ok)), { tests: 2, passed: 1, failed: 0, skipped: 1, todo: 0 })
  assert.deepEqual(failures(parseTap(ok)), [])
  assert.equal(parseTap(ok)[1].skip, '', 'SKIP without a reason')
  assert.deepEqual(parseTap(''), [])
})

test('fileOf: from the test folder on, for POSIX, Windows (Wine) and YAML-escaped paths', () => {
  assert.equal(fileOf('/work/main/test/cli.test.js:12:3'), 'test/cli.test.js')
  assert.equal(fileOf('Z:\\work\\main\\test\\windows\\wasapi.test.js:1:1'), 'test/windows/wasapi.test.js')
  assert.equal(fileOf('Z:\\\\work\\\\main\\\\test\\\\entry.test.js'), 'test/entry.test.js')
  assert.equal(fileOf('/tmp/pcmtap-hygiene-x/none.test.js'), '/tmp/pcmtap-hygiene-x/none.test.js')
})

test('libtest: one test result line per binary (and the doc-tests), the counts summed, the failed names', () => {
  assert.deepEqual(parseLibtest(LIBTEST), { binaries: 3, tests: 5, passed: 3, failed: 1, skipped: 1, failures: ['tests::fails'] })
  const ok = 'running 2 tests\ntest a ... ok\ntest b ... ok\n\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n'
  assert.deepEqual(parseLibtest(ok), { binaries: 1, tests: 2, passed: 2, failed: 0, skipped: 0, failures: [] })
  assert.deepEqual(parseLibtest('error[E0425]: cannot find value `x`\n'), { binaries: 0, tests: 0, passed: 0, failed: 0, skipped: 0, failures: [] })
})

// The runner itself, on one small real file named by a glob as package.json names its files
// (Node 20's `node --test` expands no glob: the runner must, or a step finds no file at all).
test('test-all: a glob names its files, and the step is summarised with their tests', () => {
  const { spawnSync } = require('./spawn')
  const path = require('node:path')
  const ROOT = path.join(__dirname, '..')
  const fs = require('node:fs')
  const os = require('node:os')
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-test-all-'))
  // Not as a child of this test run (node:test would refuse to run files recursively), and its
  // TAP away from the running suite's own (target/test-all).
  const env = { ...process.env }
  delete env.NODE_TEST_CONTEXT
  let r
  try {
    r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test-all.js'), '--steps', 'js', '--only', 'test/wav.te*.js', '--out', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 })
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`)
  const row = r.stdout.split('\n').find((l) => l.startsWith('js '))
  assert.match(row ?? '', /^js +1 files +(\d+) tests +\1 passed +0 failed .* ok$/, r.stdout)
  assert.doesNotMatch(r.stdout, /Could not find/, r.stdout)
})
