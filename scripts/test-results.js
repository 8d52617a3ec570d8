'use strict'
// Parsers of test runners' output, for the summaries `npm test` (scripts/test-all.js) and
// `npm run test:windows` (scripts/test-windows.js) print: node:test's TAP
// (`--test-reporter=tap`) and cargo's libtest. Pure functions over text; JS thread.

/** A test file's path as the summaries show it: from its `test/` folder on ('test/x.test.js',
 * 'test/windows/y.test.js'), whatever the machine's path and separators; else as given. */
function fileOf(location) {
  const p = location.replace(/\\\\/g, '\\').replace(/\\/g, '/').replace(/:\d+:\d+$/, '')
  const i = p.lastIndexOf('/test/')
  return i >= 0 ? p.slice(i + 1) : p
}

const RESULT = /^( *)(not ok|ok) \d+ - (.*)$/
const DIRECTIVE = /^(.*?)(?<!\\) # (SKIP|TODO)(?: (.*))?$/i
const FOOTER = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+$/

/**
 * The results of `node --test --test-reporter=tap` output, top-level tests in the order
 * printed, each `{ name, file, ok, skip, todo, suite, block, subtests, output }`: `skip` and
 * `todo` are null or the reason ('' if none given); `suite` for describe() blocks; `block` the
 * result line and its YAML (error, location, stack); `subtests` the same shape, nested;
 * `output` the comment lines printed before a top-level test (a file's stderr: the error of a
 * file that failed to load). A file that fails to load is a top-level test named by its path.
 */
function parseTap(text) {
  const top = []
  const pending = [] // pending[d]: results at depth d whose parent (at depth d - 1) comes later
  let current = null // the result whose YAML block is being read
  let output = []
  for (const line of text.split(/\r?\n/)) {
    const m = RESULT.exec(line)
    if (m) {
      const depth = m[1].length / 4
      let name = m[3]
      let skip = null
      let todo = null
      const d = DIRECTIVE.exec(name)
      if (d) {
        name = d[1]
        if (d[2].toUpperCase() === 'SKIP') skip = d[3] ?? ''
        else todo = d[3] ?? ''
      }
      name = name.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
      current = { name, file: null, ok: m[2] === 'ok', skip, todo, suite: false, block: [line], subtests: pending[depth + 1] || [], output: [], indent: m[1] + '  ' }
      pending[depth + 1] = []
      if (depth === 0) {
        current.output = output
        output = []
        top.push(current)
      } else (pending[depth] ||= []).push(current)
      continue
    }
    if (current && line.startsWith(current.indent) && !line.startsWith(`${current.indent}  # Subtest:`)) {
      const yaml = line.slice(current.indent.length)
      if (current.block.at(-1).trimStart() === '...') continue // after its block: a deeper test's lines
      current.block.push(line)
      const loc = /^location: '(.*)'$/.exec(yaml)
      if (loc && !current.file) current.file = fileOf(loc[1])
      if (yaml === "type: 'suite'") current.suite = true
      continue
    }
    if (line.startsWith('# ') && !line.startsWith('# Subtest: ') && !FOOTER.test(line)) output.push(line)
  }
  const inherit = (r, file) => {
    r.file ||= file ?? (/\.test\.[cm]?js$/.test(r.name) ? fileOf(r.name) : null)
    delete r.indent
    for (const s of r.subtests) inherit(s, r.file)
  }
  for (const r of top) inherit(r)
  return top
}

/** Walks results and their subtests, depth first, calling fn(result, names of its parents). */
function walk(results, fn, parents = []) {
  for (const r of results) {
    walk(r.subtests, fn, [...parents, r.name])
    fn(r, parents)
  }
}

/** Counts as node:test's own footer does (every test and subtest, not suites): `{ tests,
 * passed, failed, skipped, todo }`; a failing todo test is a todo, not a failure. */
function tally(results) {
  const n = { tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0 }
  walk(results, (r) => {
    if (r.suite) return
    n.tests++
    if (r.todo !== null) n.todo++
    else if (r.skip !== null) n.skipped++
    else if (r.ok) n.passed++
    else n.failed++
  })
  return n
}

/** The failures to show: each failing test none of whose subtests failed (a parent that failed
 * only through them is not repeated), as `{ file, name: 'parent > child', block, output }`. */
function failures(results) {
  const out = []
  walk(results, (r, parents) => {
    if (r.ok || r.todo !== null) return
    if (r.subtests.some((s) => !s.ok && s.todo === null) && !r.block.some((l) => /^error: (?!'\d+ subtests? failed')/.test(l.trim()))) return
    out.push({ file: r.file, name: [...parents, r.name].join(' > '), block: r.block, output: r.output })
  })
  return out
}

/** Skipped tests (any depth) as `{ file, name, reason }`. */
function skipped(results) {
  const out = []
  walk(results, (r, parents) => {
    if (r.skip !== null && r.todo === null) out.push({ file: r.file, name: [...parents, r.name].join(' > '), reason: r.skip || 'skipped' })
  })
  return out
}

/**
 * cargo test's libtest output: `{ binaries, tests, passed, failed, skipped, failures }`, one
 * `test result:` line per test binary (and per crate's doc-tests); `failures` the names libtest
 * lists after a failed run.
 */
function parseLibtest(text) {
  const n = { binaries: 0, tests: 0, passed: 0, failed: 0, skipped: 0, failures: [] }
  let list = false
  for (const line of text.split(/\r?\n/)) {
    const m = /^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored; \d+ measured; \d+ filtered out/.exec(line)
    if (m) {
      n.binaries++
      n.passed += Number(m[1])
      n.failed += Number(m[2])
      n.skipped += Number(m[3])
      list = false
      continue
    }
    if (line === 'failures:') list = true
    else if (list && /^ {4}\S+$/.test(line)) n.failures.push(line.trim())
    else if (list && line.startsWith('---- ')) list = false // the first failures: section holds their output
  }
  n.tests = n.passed + n.failed + n.skipped
  return n
}

module.exports = { parseTap, tally, failures, skipped, parseLibtest, fileOf }
