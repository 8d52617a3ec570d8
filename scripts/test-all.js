#!/usr/bin/env node
'use strict'
// `npm test`: the suite's three steps, as package.json defines them (`test:rust`, `test:js`,
// `test:devices:pipewire`), then one summary line per step and a total. JS thread.
//
// Each step runs even when an earlier one failed, so one run shows everything. The terminal
// stays short: cargo's tests with `--quiet` (one character a test; failures in full), node's
// with the dot reporter (failures in full at the end); the TAP goes to target/test-all/<step>.tap
// at the same time (diagnostics, stderr, every result), parsed by scripts/test-results.js. After
// the steps: each failure again with its file, name and error; the skipped tests by reason; the
// table. Exit status 1 if any step failed (a failure, a non-zero exit, or no result at all).
//
//   node scripts/test-all.js [--steps rust,js,pipewire] [--only FILE]... [--out DIR]
// --steps: run only these; --only: the node steps run these test files instead of their own;
// --out: where the TAP goes (default target/test-all).
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { parseTap, tally, failures, skipped, parseLibtest } = require('./test-results')

const ROOT = path.join(__dirname, '..')
const STEPS = [
  { key: 'rust', script: 'test:rust' },
  { key: 'js', script: 'test:js' },
  { key: 'pipewire', script: 'test:devices:pipewire' },
]
const NODE_TEST = /\bnode --test((?: +[^ &|;]+)*) *$/ // `node --test <files>` at the end of a script

const { values: opts } = parseArgs({ options: { steps: { type: 'string' }, only: { type: 'string', multiple: true }, out: { type: 'string' } } })
const OUT = path.resolve(opts.out ?? path.join(ROOT, 'target', 'test-all'))
const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts
const wanted = opts.steps ? opts.steps.split(',') : STEPS.map((s) => s.key)
for (const w of wanted) if (!STEPS.some((s) => s.key === w)) throw new Error(`--steps: no step '${w}' (${STEPS.map((s) => s.key).join(', ')})`)
const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`

/** The files a simple glob (test/*.test.js, test/device*.test.js) names, as the shell expands it. */
function expand(pattern) {
  if (!pattern.includes('*')) return [pattern]
  const dir = path.dirname(pattern)
  const re = new RegExp(`^${path.basename(pattern).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`)
  return fs.readdirSync(path.join(ROOT, dir)).filter((f) => re.test(f)).sort().map((f) => `${dir}/${f}`)
}

/** How a step runs: its shell command, whether it speaks TAP or libtest, its test files. */
function plan(step) {
  const script = scripts[step.script]
  if (!script) throw new Error(`package.json has no script ${step.script}`)
  const m = NODE_TEST.exec(script)
  if (!m) return { ...step, label: script, kind: 'libtest', command: `${script} -- --quiet` }
  const files = opts.only ?? m[1].trim().split(/ +/)
  // Expanded here, then quoted: Node 20's `node --test` takes no globs, and a quoted pattern
  // reaches it as one file name.
  const expanded = [...new Set(files.flatMap(expand))]
  const tap = path.join(OUT, `${step.key}.tap`)
  const reporters = `--test-reporter=dot --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=${quote(tap)}`
  const command = `${script.slice(0, m.index)}node --test ${reporters} ${expanded.map(quote).join(' ')}`
  return { ...step, label: `${script.slice(0, m.index)}node --test ${files.join(' ')}`, kind: 'tap', command, tap, files: expanded }
}

/** Runs one step, its output on this terminal as it comes (cargo's stdout is also kept). */
function run(p) {
  console.log(`\n=== ${p.key}: ${p.label}`)
  const t0 = performance.now()
  const child = spawn('sh', ['-c', p.command], { cwd: ROOT, stdio: ['inherit', p.kind === 'libtest' ? 'pipe' : 'inherit', 'inherit'] })
  let stdout = ''
  if (child.stdout) {
    child.stdout.on('data', (d) => {
      process.stdout.write(d)
      stdout += d
    })
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status, signal) => resolve({ status, signal, stdout, seconds: (performance.now() - t0) / 1000 }))
  })
}

/** A step's counts and what to list, from its output. */
function results(p, r) {
  const base = { key: p.key, label: p.label, status: r.status, signal: r.signal, seconds: r.seconds }
  if (p.kind === 'libtest') {
    const n = parseLibtest(r.stdout)
    const fails = n.failures.map((name) => ({ file: 'cargo test', name, block: [], output: [] }))
    return { ...base, unit: 'binaries', files: n.binaries, tests: n.tests, passed: n.passed, failed: n.failed, skipped: n.skipped, todo: 0, fails, skips: [] }
  }
  const parsed = fs.existsSync(p.tap) ? parseTap(fs.readFileSync(p.tap, 'utf8')) : []
  return { ...base, unit: 'files', files: p.files.length, ...tally(parsed), fails: failures(parsed), skips: skipped(parsed), tap: path.relative(ROOT, p.tap) }
}

const ok = (s) => s.status === 0 && s.failed === 0 && s.tests > 0

function report(steps, seconds) {
  const line = (label, s, verdict) =>
    `${label.padEnd(10)}${String(s.files).padStart(4)} ${(s.unit || 'files').padEnd(9)}${String(s.tests).padStart(5)} tests ${String(s.passed).padStart(5)} passed ${String(s.failed).padStart(3)} failed ${String(s.skipped).padStart(4)} skipped ${String(s.todo).padStart(2)} todo ${s.seconds.toFixed(1).padStart(7)} s  ${verdict}`
  console.log('\n=== summary')
  for (const s of steps) {
    for (const f of s.fails) {
      console.log(`FAILED ${s.key} ${f.file ?? '(file unknown)'}: ${f.name}`)
      const indent = /^ */.exec(f.block[0] || '')[0].length // a subtest's lines: as if it were top-level
      for (const l of [...f.output, ...f.block.map((b) => b.slice(indent))]) console.log(`  ${l}`)
    }
    if (!ok(s) && s.failed === 0) {
      const why = s.signal ? `killed by ${s.signal}` : s.tests === 0 ? `no test results (exit status ${s.status})` : `exit status ${s.status}`
      console.log(`FAILED ${s.key}: ${why}; its output is above${s.tap ? ` and in ${s.tap}` : ''}`)
    }
  }
  for (const s of steps) {
    const byReason = new Map()
    for (const k of s.skips) byReason.set(k.reason, [...(byReason.get(k.reason) || []), k.name])
    for (const [reason, names] of byReason) console.log(`skipped (${s.key}) ${names.length}x: ${reason}${names.length <= 3 ? `: ${names.join('; ')}` : ''}`)
  }
  for (const s of steps) console.log(`${s.key}: ${s.label}${s.tap ? ` (TAP: ${s.tap})` : ''}`)
  console.log('')
  for (const s of steps) console.log(line(s.key, s, ok(s) ? 'ok' : 'FAILED'))
  const sum = (k) => steps.reduce((a, s) => a + s[k], 0)
  const total = { unit: 'files', files: sum('files'), tests: sum('tests'), passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped'), todo: sum('todo'), seconds }
  const allOk = steps.every(ok)
  console.log(line('total', total, allOk ? 'ok' : 'FAILED'))
  return allOk
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true })
  const t0 = performance.now()
  const steps = []
  for (const step of STEPS.filter((s) => wanted.includes(s.key))) {
    const p = plan(step)
    if (p.tap) fs.rmSync(p.tap, { force: true })
    steps.push(results(p, await run(p)))
  }
  process.exitCode = report(steps, (performance.now() - t0) / 1000) ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
