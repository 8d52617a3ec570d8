#!/usr/bin/env node
'use strict'
// `npm run test:windows`: the JS suite against the Windows build, under Wine (Linux side).
//
// 1. `npm run build:windows` (cargo makes it a no-op when nothing changed).
// 2. Every test/*.test.js that applies runs under Windows node.exe (scripts/wine-node.sh,
//    `node --test`), less what test/windows-skip.json lists: whole files, and tests by name
//    (a --test-name-pattern that matches every other name). CI is unset for that run: its rule
//    (a missing sound server or sox fails instead of skipping) is about the Linux rig, which
//    node.exe cannot drive (it cannot spawn bash, pactl or sox); here the list says what does
//    not run, and a test skipped for a reason the list does not give fails the run.
// 3. test/windows/*.test.js run on Linux: they start the test server, drive it (tone, stop,
//    restart) and run their Windows programs under wine-node.sh (WASAPI through winepulse).
//
// Prints what ran, passed and was skipped (and why), and ends with `N passed, N failed, N skipped`.
// Exit status 1 if anything failed or the skip list names a file or test that no longer exists.
const { spawnSync, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { parseTap } = require('./test-results') // top-level results: { name, file, ok, skip, block, ... }

const ROOT = path.join(__dirname, '..')
const SKIP = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'windows-skip.json'), 'utf8'))
const PATTERN_SKIP = 'test name does not match pattern' // what node:test says of a test the pattern left out
const problems = []

function run(cmd, args, env) {
  const t0 = Date.now()
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 15 * 60_000 })
  if (r.error) throw r.error
  return { ...r, seconds: (Date.now() - t0) / 1000 }
}

/** The raw output of a run, for a closer look: target/test-windows/<name>. */
function keep(name, r) {
  const dir = path.join(ROOT, 'target', 'test-windows')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, name), `${r.stdout}\n--- stderr\n${r.stderr}`)
}

function underWine() {
  const all = fs.readdirSync(path.join(ROOT, 'test')).filter((f) => f.endsWith('.test.js')).sort().map((f) => `test/${f}`)
  for (const { file } of SKIP.files) if (!all.includes(file)) problems.push(`test/windows-skip.json: ${file} does not exist`)
  const files = all.filter((f) => !SKIP.files.some((s) => s.file === f))
  // node:test runs a test when its name or any parent's matches; the root test is named <root>.
  const pattern = `^(?!<root>$|(?:${SKIP.tests.map((t) => `(?:${t.name})`).join('|')})$)`
  const env = { ...process.env }
  delete env.CI
  const r = run('bash', ['scripts/wine-node.sh', '--test', '--test-reporter=tap', '--test-concurrency=1', `--test-name-pattern=${pattern}`, ...files], env)
  keep('wine.tap', r)
  const results = parseTap(r.stdout)
  if (results.length === 0) problems.push(`node.exe --test printed no results (status ${r.status}):\n${r.stdout}\n${r.stderr}`)
  // node:test gives no location for a test the pattern left out: the entry that matched names it.
  for (const entry of SKIP.tests) {
    const re = new RegExp(`^(?:${entry.name})$`)
    const hit = results.filter((x) => x.skip === PATTERN_SKIP && !x.reason && re.test(x.name))
    if (hit.length === 0) problems.push(`test/windows-skip.json: no test of ${entry.file} is named /${entry.name}/`)
    for (const x of hit) Object.assign(x, { file: entry.file, reason: entry.reason })
  }
  for (const x of results) {
    if (x.skip !== null && x.skip !== PATTERN_SKIP) problems.push(`${x.file}: "${x.name}" skipped itself (${x.skip}): list it in test/windows-skip.json or make it run`)
  }
  return { files, results, seconds: r.seconds, status: r.status, stderr: r.stderr }
}

function linuxSide() {
  const dir = path.join(ROOT, 'test', 'windows')
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => `test/windows/${f}`) : []
  if (files.length === 0) return { files, results: [], seconds: 0 }
  // One file at a time: they stop and restart the one test server.
  const r = run(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files], process.env)
  keep('linux.tap', r)
  const results = parseTap(r.stdout)
  if (results.length === 0) problems.push(`test/windows printed no results (status ${r.status}):\n${r.stdout}\n${r.stderr}`)
  for (const x of results) if (x.skip !== null) x.reason = x.skip || 'skipped'
  return { files, results, seconds: r.seconds }
}

function summary(label, part) {
  const failed = part.results.filter((x) => !x.ok)
  const skipped = part.results.filter((x) => x.ok && x.skip !== null)
  const passed = part.results.length - failed.length - skipped.length
  console.log(`${label}: ${part.files.length} files, ${part.results.length} tests in ${part.seconds.toFixed(0)} s: ${passed} passed, ${failed.length} failed, ${skipped.length} skipped`)
  for (const f of failed) console.log(`  FAILED ${f.file}: ${f.name}\n${f.block.join('\n')}`)
  return { passed, failed: failed.length, skipped }
}

execFileSync(process.execPath, [path.join(__dirname, 'build-windows.js')], { cwd: ROOT, stdio: 'inherit' })
const wine = underWine()
const linux = linuxSide()
console.log('')
const a = summary('Windows node.exe under Wine (test/*.test.js)', wine)
const b = summary('WASAPI device tests, driven from Linux (test/windows/*.test.js)', linux)
console.log(`Not run under Wine (test/windows-skip.json), ${SKIP.files.length} files:`)
for (const { file, reason } of SKIP.files) console.log(`  ${file}: ${reason}`)
const byReason = new Map()
for (const x of [...a.skipped, ...b.skipped]) {
  const key = `${x.file}: ${x.reason}`
  byReason.set(key, [...(byReason.get(key) || []), x.name])
}
console.log(`Skipped tests, ${a.skipped.length + b.skipped.length}, by file and reason:`)
for (const [key, names] of byReason) console.log(`  ${key}\n${names.map((n) => `    - ${n}`).join('\n')}`)
for (const p of problems) console.log(`PROBLEM ${p}`)
const passed = a.passed + b.passed
const failed = a.failed + b.failed + problems.length
console.log(`${passed} passed, ${failed} failed, ${a.skipped.length + b.skipped.length} skipped`)
process.exit(failed ? 1 : 0)
