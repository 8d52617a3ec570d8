'use strict'
// Delivery throughput: external Buffers + release() vs copy mode vs autoRelease, unpaced
// synthetic source (as fast as slots come back; it waits instead of dropping).
//
//   node --expose-gc bench/throughput.js [--packets 200000] [--rounds 5]
//   node --expose-gc bench/throughput.js --million     # the 1,000,000-packet recycling proof
//
// First proves every candidate delivers the same exact counter content, then runs the
// candidates interleaved in rotating order, round by round, and prints medians. The machine is
// shared and noisy: compare the ratios measured side by side, not the absolute figures.
const os = require('node:os')
const { once } = require('node:events')
const { Capture } = require('..')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : def
}
const gc = global.gc || (() => {})
const turn = () => new Promise((r) => setImmediate(r))

const CANDIDATES = {
  'external+release': { useExternalBuffer: true, autoRelease: false, release: true },
  copy: { useExternalBuffer: false, autoRelease: false, release: false },
  'external+autoRelease': { useExternalBuffer: true, autoRelease: true, release: false },
}

function make(c) {
  return new Capture({
    source: 'synthetic',
    useExternalBuffer: c.useExternalBuffer,
    autoRelease: c.autoRelease,
    synthetic: { waveform: 'counter', paced: false, blockFrames: 480, sampleFormat: 'i16' },
  })
}

/** Runs one candidate for `packets` packets; `check` sees every packet before release. */
async function run(c, packets, check) {
  const cap = make(c)
  let n = 0
  cap.on('data', (buf, info) => {
    if (check) check(buf, info)
    if (c.release) cap.release(buf)
    if (++n === packets) cap.stop()
  })
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  cap.start()
  await once(cap, 'stop')
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(c0)
  for (let i = 0; i < 3; i++) await turn()
  const stats = cap.stats()
  cap.close()
  return { pps: n / secs, cpuPerPacketUs: (cpu.user + cpu.system) / n, stats }
}

async function proveEqualOutput() {
  for (const [name, c] of Object.entries(CANDIDATES)) {
    let frame = 0
    await run(c, 2000, (buf, info) => {
      const s = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
      for (let i = 0; i < s.length; i += 2) {
        const want = frame++ % 32768
        if (s[i] !== want || s[i + 1] !== want) throw new Error(`${name}: frame ${frame - 1} is ${s[i]}, want ${want}`)
      }
      if (info.frames * 4 !== buf.length) throw new Error(`${name}: bad frame count`)
    })
  }
  console.log('equal output: every candidate delivered the exact counter pattern (2000 packets each)')
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function compare(packets, rounds) {
  const names = Object.keys(CANDIDATES)
  const res = Object.fromEntries(names.map((n) => [n, []]))
  const last = {}
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]
      gc()
      const out = await run(CANDIDATES[name], packets)
      res[name].push(out)
      last[name] = out.stats
    }
  }
  console.log(`\n${os.cpus().length} cores (${os.cpus()[0].model}), Node ${process.version}; ${packets} packets of 480 frames s16 stereo per run; medians of ${rounds} interleaved rounds`)
  console.log('| candidate | packets/s median | min | max | vs copy (median of per-round ratios) | CPU µs/packet |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const n of names) {
    const pps = res[n].map((x) => x.pps)
    const ratios = res[n].map((x, i) => x.pps / res.copy[i].pps)
    console.log(`| ${n} | ${median(pps).toFixed(0)} | ${Math.min(...pps).toFixed(0)} | ${Math.max(...pps).toFixed(0)} | ${median(ratios).toFixed(2)} | ${median(res[n].map((x) => x.cpuPerPacketUs)).toFixed(2)} |`)
  }
  console.log('\nlast round, pool and delivery counters:')
  for (const n of names) {
    const s = last[n]
    console.log(`  ${n}: hits ${s.pool.hits}, misses ${s.pool.misses}, hitRate ${s.pool.hitRate}, external ${s.delivery.external}, copied ${s.delivery.copied}, released ${s.delivery.released}, finalized ${s.delivery.finalized}`)
  }
}

async function million() {
  const packets = 1_000_000
  for (let i = 0; i < 3; i++) await turn()
  gc()
  const before = process.memoryUsage()
  const out = await run(CANDIDATES['external+release'], packets)
  for (let i = 0; i < 5; i++) await turn()
  gc()
  const after = process.memoryUsage()
  const s = out.stats
  console.log(`1,000,000 packets, external + release(): ${out.pps.toFixed(0)} packets/s`)
  console.log(`  pool: hits ${s.pool.hits}, misses ${s.pool.misses}, hitRate ${s.pool.hitRate}, highWater ${s.pool.highWater}/${s.pool.capacity}`)
  console.log(`  delivery: external ${s.delivery.external}, copied ${s.delivery.copied}, released ${s.delivery.released}, finalized ${s.delivery.finalized}`)
  for (const k of ['external', 'arrayBuffers', 'rss', 'heapUsed']) {
    console.log(`  ${k}: before ${before[k]} after ${after[k]} (diff ${after[k] - before[k]})`)
  }
  if (s.pool.misses > 0 || s.pool.hitRate < 1) process.exitCode = 1
}

async function main() {
  if (!global.gc) console.log('(run with --expose-gc for GC between runs)')
  if (args.includes('--million')) return million()
  await proveEqualOutput()
  await compare(opt('packets', 200_000), opt('rounds', 5))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
