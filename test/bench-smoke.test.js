'use strict'
// A seconds-long run of each benchmark script (bench/), so a script that stops producing its
// full output fails `npm test`. Asserts that every mode ran to the end and every table, file and
// chart line is there; never asserts on a timing or a memory figure (those belong in
// bench/README.md, measured side by side). Device smokes use the private PulseAudio server
// (scripts/audio-server.sh): skipped with the reason only where it cannot start, failing in CI.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { ensureAudioServer, skipReason } = require('./audio-server')

const PCMTAP_MODES = ['autoRelease', 'release', 'gc-only', 'copy']

function bench(script, args) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-bench-'))
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', script), ...args, '--out-dir', outDir], {
    cwd: ROOT,
    env: process.env,
    encoding: 'utf8',
    timeout: 240_000,
  })
  const res = { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
  assert.equal(r.status, 0, childReport(res))
  return { outDir, stdout: r.stdout, report: childReport(res) }
}

/** decibri is a benchmark-only dependency (bench/package.json). CI installs it; elsewhere a
 * missing install skips only the decibri row, with the command that installs it. */
function decibriAvailable() {
  const installed = () => fs.existsSync(path.join(ROOT, 'bench', 'node_modules', 'decibri', 'package.json'))
  if (!installed() && process.env.CI) {
    const r = spawnSync('npm', ['--prefix', path.join(ROOT, 'bench'), 'install', '--no-audit', '--no-fund'], { encoding: 'utf8', timeout: 180_000 })
    assert.equal(r.status, 0, `npm --prefix bench install failed:\n${r.stdout}\n${r.stderr}`)
  }
  return installed()
}

function checkHeapGrowth({ outDir, stdout, report }, tag, modes, { paced }) {
  const base = path.join(outDir, `heap-growth-${tag}`)
  const { meta, runs } = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'))
  assert.deepEqual(Object.keys(runs), modes, report)
  assert.equal(meta.paced, paced)
  for (const m of modes) {
    assert.equal(runs[m].length, 1, `${m}: one run per round`)
    const run = runs[m][0]
    // GC-only may stall unpaced (pool exhaustion, issue 9); every other mode must complete.
    const allowed = m === 'gc-only' && !paced ? ['complete', 'stalled'] : ['complete']
    assert.ok(allowed.includes(run.end), `${m} ended ${run.end}\n${report}`)
    assert.ok(run.samples.length >= 3, `${m}: memory samples`)
    for (const s of run.samples) for (const k of ['rss', 'rssAnon', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']) assert.ok(s[k] > 0 || k === 'arrayBuffers', `${m}: ${k}`)
    for (const k of ['rss', 'heapUsed', 'external', 'arrayBuffers']) assert.equal(typeof run.retained[k], 'number', `${m}: retained ${k}`)
    assert.ok(run.cpuMs > 0, `${m}: CPU time`)
    assert.ok(run.forcedGcs >= 2, `${m}: the settled gc() ran`)
    if (m === 'decibri') assert.equal(run.statsSettled, null)
    else {
      const s = run.statsSettled
      assert.equal(s.pool.hits, s.delivery.packets + s.delivery.queued, `${m}: every slot taken was delivered`)
      if (m === 'copy') assert.equal(s.delivery.copied, s.delivery.packets)
      if (m === 'autoRelease' || m === 'release') assert.equal(s.delivery.released, s.delivery.external)
    }
  }
  const md = fs.readFileSync(`${base}.md`, 'utf8')
  assert.ok(stdout.includes(md.trim().split('\n')[0]), 'the markdown is printed too')
  for (const m of modes) {
    // Memory row, GC/CPU row, counters row, four batch rows, and a classic row when it ran.
    const rows = md.split('\n').filter((l) => l.startsWith(`| ${m} |`))
    assert.equal(rows.length, meta.classic.iterations > 0 ? 8 : 7, `${m} rows in\n${md}`)
    for (const row of rows) assert.ok(!/undefined|NaN/.test(row), `${m}: incomplete row ${row}`)
  }
  assert.match(md, /Consecutive batches/)
  if (meta.classic.iterations > 0) assert.match(md, /Why it misleads/)
  const svg = fs.readFileSync(`${base}.svg`, 'utf8')
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  assert.match(svg, /<\/svg>\n$/)
  assert.equal((svg.match(/<polyline /g) || []).length, 2 * modes.length, 'one rss and one external line per mode')
  for (const m of modes) assert.ok(svg.includes(`>${m}</text>`), `${m} in the legend`)
}

test('bench/heap-growth.js, real time synthetic: every mode completes and every output is written', () => {
  const out = bench('heap-growth.js', ['--scenario', 'realtime', '--warmup', '0.5', '--seconds', '1.5', '--rounds', '1', '--classic', '1x0.2', '--sample-ms', '100'])
  checkHeapGrowth(out, 'realtime', PCMTAP_MODES, { paced: true })
})

test('bench/heap-growth.js, unpaced (time-compressed): every mode reports and the tables say so', () => {
  const out = bench('heap-growth.js', ['--scenario', 'hour', '--warmup', '20', '--seconds', '200', '--rounds', '1', '--tag', 'unpaced-smoke'])
  checkHeapGrowth(out, 'unpaced-smoke', PCMTAP_MODES, { paced: false })
  assert.match(out.stdout, /TIME-COMPRESSED/)
})

test('bench/heap-growth.js, device with decibri beside: every mode completes', async (t) => {
  const srv = await ensureAudioServer()
  if (!srv.ok) return t.skip(skipReason(srv))
  // --reopen: on a loaded machine the server can go silent for 3 s (DEVICE_LOST); the smoke
  // checks the script's output, so such a run re-opens its capture instead of ending early.
  const modes = [...PCMTAP_MODES]
  if (decibriAvailable()) modes.push('decibri')
  else t.diagnostic('decibri row not run: bench/node_modules has no decibri (run `npm --prefix bench install`)')
  const out = bench('heap-growth.js', ['--scenario', 'device', '--modes', modes.join(','), '--warmup', '0.5', '--seconds', '1', '--rounds', '1', '--classic', '0x0', '--sample-ms', '100', '--reopen'])
  checkHeapGrowth(out, 'device', modes, { paced: true })
})

test('bench/latency.js: p50/p99/max for every source and mode', async (t) => {
  const srv = await ensureAudioServer()
  const sources = srv.ok ? ['synthetic', 'device'] : ['synthetic']
  if (!srv.ok) t.diagnostic(`device rows not run: ${skipReason(srv)}`)
  const out = bench('latency.js', ['--sources', sources.join(','), '--seconds', '0.5', '--warmup', '0.2', '--rounds', '1'])
  const { runs } = JSON.parse(fs.readFileSync(path.join(out.outDir, 'latency.json'), 'utf8'))
  assert.equal(runs.length, sources.length * 2)
  for (const r of runs) {
    assert.equal(r.results.length, 1)
    const x = r.results[0]
    assert.ok(x.n >= 40, `${r.source} ${r.mode}: ${x.n} packets measured`)
    assert.ok(x.p50 <= x.p99 && x.p99 <= x.max, `${r.source} ${r.mode}: ordered percentiles`)
  }
  const rows = out.stdout.split('\n').filter((l) => /^\| (synthetic|device) \|/.test(l))
  assert.equal(rows.length, sources.length * 2, out.report)
  for (const row of rows) assert.ok(!/undefined|NaN/.test(row), row)
})

test('bench/throughput.js: equal output proven, then a row per candidate', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(ROOT, 'bench', 'throughput.js'), '--packets', '2000', '--rounds', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  const report = childReport({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr })
  assert.equal(r.status, 0, report)
  assert.match(r.stdout, /equal output/, report)
  for (const c of ['external+release', 'copy', 'external+autoRelease']) {
    const row = r.stdout.split('\n').find((l) => l.startsWith(`| ${c} |`))
    assert.ok(row && !/undefined|NaN/.test(row), `${c} row\n${report}`)
    assert.match(r.stdout, new RegExp(`  ${c.replace('+', '\\+')}: hits \\d+, misses 0`), report)
  }
})

/** heaptrack (Debian package) is what alloc-count.js drives; CI installs it if missing. */
function heaptrackAvailable() {
  const has = () => spawnSync('heaptrack', ['--version'], { encoding: 'utf8' }).status === 0
  if (!has() && process.env.CI) {
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'heaptrack'], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    assert.equal(r.status, 0, `apt-get install heaptrack failed:\n${r.stdout}\n${r.stderr}`)
  }
  return has()
}

test('bench/alloc-count.js: allocation calls per packet for a mode, attributed by owner', (t) => {
  if (!heaptrackAvailable()) return t.skip('heaptrack is not installed (apt-get install heaptrack); CI installs it')
  const out = bench('alloc-count.js', ['--modes', 'copy', '--packets', '3000', '--base', '2000'])
  const results = JSON.parse(fs.readFileSync(path.join(out.outDir, 'alloc-count.json'), 'utf8'))
  assert.deepEqual(Object.keys(results), ['copy'])
  assert.ok(results.copy.packets >= 2500, out.report)
  // Copying a packet into a JS Buffer cannot be free: some allocation per packet is attributed.
  assert.ok(results.copy.total > 0 && Object.keys(results.copy.byOwner).length > 0, out.report)
  const row = out.stdout.split('\n').find((l) => l.startsWith('| copy |'))
  assert.ok(row && !/undefined|NaN/.test(row), out.report)
})

test('bench/threads.js: a row per busy thread of a capturing process, its relay thread among them', () => {
  const code = "const { Capture } = require('.'); const c = new Capture({ source: 'synthetic' }); c.on('data', (b) => c.release(b)); c.start()"
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'threads.js'), '--seconds', '1', '--warmup', '0.5', '--', process.execPath, '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  const report = childReport({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr })
  assert.equal(r.status, 0, report)
  assert.match(r.stdout, /% of one core over \d/, report)
  const rows = r.stdout.split('\n').filter((l) => /^\| [^-]/.test(l) && !l.startsWith('| thread |'))
  assert.ok(rows.some((l) => l.startsWith('| pcmtap-relay |')), `the relay thread wakes for every packet\n${report}`)
  for (const row of rows) assert.match(row, /^\| .+ \| \d+\.\d\d \| \d+ \|$/, report)
})

test('bench/cpu.js: every candidate measured against arecord, and pcmtap against the other floors', async (t) => {
  const srv = await ensureAudioServer()
  if (!srv.ok) return t.skip(skipReason(srv))
  // Its own server (started and stopped by the script), so its tone never stops another test's.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-bench-cpu-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'cpu.js'), '--seconds', '1', '--warmup', '1', '--rounds', '1'], {
    cwd: ROOT,
    env: { ...process.env, PCMTAP_AUDIO_DIR: dir, PULSE_SERVER: undefined, PULSE_COOKIE: undefined },
    encoding: 'utf8',
    timeout: 180_000,
  })
  const report = childReport({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr })
  assert.equal(r.status, 0, report)
  const names = ['arecord -D default', 'pcmtap defaults', 'arecord, libpulse shared memory off', 'arecord piped into node (Node floor)', 'pcmtap loopback: true', 'parec --monitor-stream piped into node', 'pcmtap application: { pid }']
  if (decibriAvailable()) names.push('decibri 48k stereo')
  for (const name of names) {
    const row = r.stdout.split('\n').find((l) => l.includes(`| ${name} |`))
    assert.ok(row && !/undefined|NaN/.test(row), `${name} row\n${report}`)
  }
  // A ratio is a number, or n/a where the floor used no clock tick in this 1 s run (said so).
  assert.match(r.stdout, /^pcmtap defaults vs arecord piped into node \(Node floor\): (\d+\.\d\dx|n\/a)$/m, report)
  if (/\| n\/a \|/.test(r.stdout)) assert.match(r.stdout, /^n\/a: the floor used less than one clock tick/m, report)
  assert.match(r.stdout, /^pcmtap defaults: opened alsa /m, report)
  assert.match(r.stdout, /^pcmtap application: \{ pid \}: opened application pcmtap-bench-app \(1 stream\)$/m, report)
})
