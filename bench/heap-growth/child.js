'use strict'
// One heap-growth run in a fresh process (forked by runner.js with --expose-gc): one mode, one
// source, measured without forcing GC until the very end. JS thread only; the capture's audio
// and relay threads are pcmtap's (or decibri's) own.
//
// Timeline: warm-up (excluded) -> steady window (timer samples of memoryUsage(), GC entries from
// a PerformanceObserver, CPU time) -> optional classic phase (heapUsed around forced gc(), the
// method the field used) -> stop -> settled gc() (gc, wait 100 ms, gc) -> retained memory.
// Every forced gc() is timed and its GC entries are excluded from the counts.
const fs = require('node:fs')
const path = require('node:path')
const { PerformanceObserver, performance, constants } = require('node:perf_hooks')

const cfg = JSON.parse(process.argv[2])
const PACKET_BYTES = 1920 // 480 frames s16 stereo
const GC_KIND = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const gcEntries = []
const forced = [] // [start, end] of our own gc() calls
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e.detail && e.detail.kind) ?? e.kind
    gcEntries.push({ t: e.startTime, ms: e.duration, kind: GC_KIND[kind] || String(kind) })
  }
}).observe({ entryTypes: ['gc'] })

function forceGc() {
  const t0 = performance.now()
  global.gc()
  forced.push([t0, performance.now()])
}

// Linux splits rss: RssAnon is private memory (heaps, ours and Node's); RssShmem is shared
// memory mapped in, such as libpulse's audio pool on the device path, which grows to ~25 MiB
// while a stream runs and is unmapped when it closes. Only RssAnon can show a leak.
const statusRe = /^(RssAnon|RssShmem):\s+(\d+) kB$/gm
function procRss() {
  let text
  try {
    text = fs.readFileSync('/proc/self/status', 'utf8')
  } catch {
    return {}
  }
  const out = {}
  for (const m of text.matchAll(statusRe)) out[m[1] === 'RssAnon' ? 'rssAnon' : 'rssShmem'] = Number(m[2]) * 1024
  return out
}

const mem = () => {
  const m = process.memoryUsage()
  return { rss: m.rss, ...procRss(), heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}

/** A source: start(onPacket) resolves once running; stop(); stats() -> counters or null. */
function openSource() {
  if (cfg.mode === 'decibri') {
    const { Microphone } = require(path.join(__dirname, '..', 'node_modules', 'decibri'))
    const mic = new Microphone({ sampleRate: 48000, channels: 2, framesPerBuffer: 480 })
    return {
      start(onData) {
        mic.on('data', (buf) => onData(buf, buf.length / PACKET_BYTES))
        mic.on('error', (e) => sourceError(e))
        mic.resume()
      },
      async stop() {
        mic.stop()
        await sleep(50)
      },
      stats: () => null,
      close() {},
    }
  }
  const { Capture } = require(path.join(__dirname, '..', '..'))
  const options = {
    source: cfg.source,
    useExternalBuffer: cfg.mode !== 'copy',
    autoRelease: cfg.mode === 'autoRelease',
    ...(cfg.source === 'synthetic'
      ? { synthetic: { waveform: 'sine', paced: cfg.paced, blockFrames: 480, sampleFormat: 'i16' } }
      : { sampleRate: 48000, channels: 2, format: 's16' }),
  }
  const prior = [] // final stats of captures re-opened after DEVICE_LOST (--reopen)
  let cap = null
  let onData = null
  const open = () => {
    const c = (cap = new Capture(options))
    const release = cfg.mode === 'release'
    c.on('data', (buf) => {
      onData(buf, 1)
      if (release) c.release(buf)
    })
    c.on('error', (e) => {
      // A device that goes silent for 3 s (a starved server) stops the capture with
      // DEVICE_LOST; with --reopen the run opens a new one, as an application would, and counts it.
      if (!(cfg.reopen && e.code === 'DEVICE_LOST')) return sourceError(e)
      reopens++
      prior.push(c.stats())
      c.close().then(() => {
        open()
        return cap.start()
      }).catch(sourceError)
    })
  }
  open()
  return {
    start(fn) {
      onData = fn
      return cap.start()
    },
    stop: () => cap.stop(),
    stats: () => merged(prior, cap.stats()),
    close: () => cap.close(),
  }
}

/** Counters summed over re-opened captures (the last one's levels kept as they are). */
function merged(prior, now) {
  const sum = { pool: ['hits', 'misses'], delivery: ['packets', 'external', 'copied', 'lowWaterCopies', 'released', 'finalized'], audio: ['frames', 'droppedFrames', 'discontinuities', 'xruns'] }
  for (const p of prior) for (const [group, keys] of Object.entries(sum)) for (const k of keys) now[group][k] += p[group][k]
  return now
}

let reopens = 0

function fail(e) {
  console.error(e)
  process.exit(1)
}

// A device error mid-run (e.g. DEVICE_LOST when the server starves) ends the run early; the
// run is still reported, with its end state saying so.
let sourceError = fail

async function main() {
  const src = openSource()
  const warmupPackets = cfg.warmupSeconds * 100
  const endPackets = (cfg.warmupSeconds + cfg.measureSeconds) * 100
  const samples = []
  let packets = 0
  let sink = 0
  let steadyAt = null
  let finish
  const finished = new Promise((r) => (finish = r))
  sourceError = (e) => {
    console.error(`${cfg.mode}: ${e.code || ''} ${e.message}`)
    finish(`error ${e.code || e.message}`)
  }
  const t0 = performance.now()
  const sample = () => samples.push({ t: performance.now() - t0, packets, ...mem() })
  const markSteady = () => {
    steadyAt = { t: performance.now(), cpu: process.cpuUsage(), packets }
  }
  let lastProgress = { packets: 0, t: performance.now() }
  const timer = setInterval(() => {
    sample()
    const now = performance.now()
    if (packets !== lastProgress.packets) lastProgress = { packets, t: now }
    else if (now - lastProgress.t > cfg.stallMs) finish('stalled')
    if (now - t0 > cfg.maxWallSeconds * 1000) finish('timeout')
  }, cfg.sampleMs)
  await src.start((buf, n) => {
    sink = (sink + buf[0] + buf.length) & 0xffff // the listener reads the packet
    packets += n
    if (steadyAt === null && packets >= warmupPackets) markSteady()
    if (packets >= endPackets) finish('complete')
  })
  const end = await finished
  sample()
  clearInterval(timer)
  if (steadyAt === null) markSteady()
  const tEnd = performance.now()
  const cpu = process.cpuUsage(steadyAt.cpu)
  const statsAtEnd = src.stats()

  const classic = []
  for (let i = 0; i < cfg.classic.iterations && end === 'complete'; i++) {
    forceGc()
    const h0 = process.memoryUsage().heapUsed
    const c0 = performance.now()
    await sleep(cfg.classic.seconds * 1000)
    forceGc()
    classic.push((process.memoryUsage().heapUsed - h0) / ((performance.now() - c0) / 1000))
  }

  await src.stop().catch(() => {})
  forceGc()
  await sleep(100)
  forceGc()
  await sleep(10) // let the observer deliver the last entries
  const retained = mem()
  const statsSettled = src.stats()
  await src.close()
  const ours = gcEntries.filter((e) => !forced.some(([a, b]) => e.t >= a - 0.5 && e.t <= b + 0.5))
  const result = {
    mode: cfg.mode,
    end,
    packets,
    sink,
    wallSeconds: (tEnd - t0) / 1000,
    steady: { fromMs: steadyAt.t - t0, toMs: tEnd - t0, packets: packets - steadyAt.packets },
    cpuMs: (cpu.user + cpu.system) / 1000,
    samples,
    gc: ours.map((e) => ({ ...e, t: e.t - t0 })),
    forcedGcs: forced.length,
    reopens,
    classic,
    retained,
    statsAtEnd,
    statsSettled,
  }
  // Forked by runner.js: the result goes back over IPC. Run by hand (heaptrack, perf): a summary.
  if (process.send) process.send(result)
  else {
    const { samples, gc, ...rest } = result
    console.log(JSON.stringify({ ...rest, first: samples[0], last: samples.at(-1), gcs: gc.length }))
  }
  setTimeout(() => process.exit(0), 50)
}

main().catch(fail)
