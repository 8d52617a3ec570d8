'use strict'
// Memory growth, external Buffers + release() vs copy mode, measured the same way every run:
// each mode in its own child process (no shared heap), an unpaced counter capture, a warm-up
// that is excluded, then consecutive equal batches with a full GC and a memoryUsage() reading
// at every batch boundary.
//
//   node --expose-gc bench/heap-growth.js [--batches 10] [--batch-packets 100000] [--warmup 100000]
//
// Read rss (what the OS sees, including glibc arena fragmentation), external (native memory V8
// knows about: external Buffers count here), arrayBuffers (copies count here AND in external),
// heapUsed. GC counts come from a PerformanceObserver. Growth is reported first-to-last batch
// and as a least-squares slope over all batches, per 100k packets.
const { fork } = require('node:child_process')
const os = require('node:os')
const { PerformanceObserver } = require('node:perf_hooks')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : def
}
const KEYS = ['rss', 'external', 'arrayBuffers', 'heapUsed']

async function child(mode, batches, batchPackets, warmup) {
  const { Capture } = require('..')
  let gcs = 0
  let gcMs = 0
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs++
      gcMs += e.duration
    }
  }).observe({ entryTypes: ['gc'] })
  const cap = new Capture({
    source: 'synthetic',
    useExternalBuffer: mode === 'external',
    synthetic: { waveform: 'counter', paced: false, blockFrames: 480, sampleFormat: 'i16' },
  })
  const readings = []
  let n = 0
  let gcsAtStart = 0
  let t0 = 0n
  const boundary = () => {
    global.gc()
    const m = process.memoryUsage()
    readings.push({ packets: n - warmup, ...Object.fromEntries(KEYS.map((k) => [k, m[k]])) })
  }
  const done = new Promise((resolve) => {
    cap.on('data', (buf) => {
      // A typical consumer: read the samples, then hand the slot back.
      if (buf[0] === 256 && buf[1] === 256) n-- // never true; keeps the read
      cap.release(buf)
      n++
      if (n === warmup) {
        boundary()
        gcsAtStart = gcs
        t0 = process.hrtime.bigint()
      } else if (n > warmup && (n - warmup) % batchPackets === 0) {
        boundary()
        if (readings.length === batches + 1) {
          cap.stop()
          resolve()
        }
      }
    })
  })
  cap.start()
  await done
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  const s = cap.stats()
  cap.close()
  process.send({ mode, readings, gcs: gcs - gcsAtStart, gcMs, pps: (batches * batchPackets) / secs, stats: s })
}

function slope(points, key) {
  const xs = points.map((p) => p.packets / 1e5)
  const ys = points.map((p) => p[key])
  const mx = xs.reduce((a, b) => a + b) / xs.length
  const my = ys.reduce((a, b) => a + b) / ys.length
  let num = 0, den = 0
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return num / den
}

const kb = (b) => `${(b / 1024).toFixed(1)} KiB`

async function main() {
  const batches = opt('batches', 10)
  const batchPackets = opt('batch-packets', 100_000)
  const warmup = opt('warmup', 100_000)
  if (args[0] === '--child') return child(args[1], batches, batchPackets, warmup)
  const results = {}
  for (const mode of ['external', 'copy']) {
    results[mode] = await new Promise((resolve, reject) => {
      const c = fork(__filename, ['--child', mode, ...args], { execArgv: ['--expose-gc'] })
      c.once('message', resolve)
      c.once('exit', (code) => code !== 0 && reject(new Error(`${mode} child exited ${code}`)))
    })
  }
  console.log(`${os.cpus().length} cores, Node ${process.version}; warm-up ${warmup} packets excluded; ${batches} batches of ${batchPackets} packets (480 frames s16 stereo) after it; gc() + memoryUsage() at each boundary`)
  for (const mode of ['external', 'copy']) {
    const r = results[mode]
    console.log(`\n${mode}: ${r.pps.toFixed(0)} packets/s, ${r.gcs} GCs (${((r.gcs * 1e5) / (batches * batchPackets)).toFixed(1)} per 100k packets), pool misses ${r.stats.pool.misses}, external ${r.stats.delivery.external}, copied ${r.stats.delivery.copied}`)
    console.log('  packets   ' + KEYS.map((k) => k.padStart(14)).join(''))
    for (const p of r.readings) console.log(`  ${String(p.packets).padStart(8)}  ` + KEYS.map((k) => kb(p[k]).padStart(14)).join(''))
  }
  console.log('\n| per 100k packets | ' + KEYS.map((k) => `${k} slope`).join(' | ') + ' | first->last rss | GCs/100k |')
  console.log('| --- | ' + KEYS.map(() => '---').join(' | ') + ' | --- | --- |')
  for (const mode of ['external', 'copy']) {
    const r = results[mode]
    const first = r.readings[0]
    const last = r.readings[r.readings.length - 1]
    console.log(`| ${mode} | ` + KEYS.map((k) => kb(slope(r.readings, k))).join(' | ') + ` | ${kb(last.rss - first.rss)} | ${((r.gcs * 1e5) / (batches * batchPackets)).toFixed(1)} |`)
  }
  console.log(`\nthroughput external/copy: ${(results.external.pps / results.copy.pps).toFixed(2)}; GCs external/copy: ${(results.external.gcs / Math.max(1, results.copy.gcs)).toFixed(2)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
