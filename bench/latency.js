'use strict'
// Delivery latency at 100 packets/s: from the capture time of a packet's last frame (the moment
// the packet is complete: info.captureTime + its duration, on the performance.now() clock) to
// the moment the 'data' listener runs, p50/p99/max. Synthetic paced source and the device (the
// private PulseAudio server's null sink, scripts/audio-server.sh), external+release and copy.
//
//   node bench/latency.js [--sources synthetic,device] [--modes release,copy] [--seconds 30]
//     [--warmup 3] [--rounds 3] [--out-dir bench/results]
//
// Each run a fresh child process; runs interleaved in rotating order for K rounds; figures are
// medians over rounds (min-max). Add 10 ms (one packet) for the latency of the first frame.
// JS thread of each process; the producer and relay are pcmtap's audio and relay threads.
const { fork } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { startAudioServer } = require('./audio-server')
const { median, percentile, spread } = require('./heap-growth/stats')

const args = process.argv.slice(2)
const get = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}

async function child(cfg) {
  const { Capture } = require('..')
  const cap = new Capture({
    source: cfg.source,
    useExternalBuffer: cfg.mode !== 'copy',
    ...(cfg.source === 'synthetic' ? { synthetic: { paced: true, blockFrames: 480, sampleFormat: 'i16' } } : { sampleRate: 48000, channels: 2, format: 's16' }),
  })
  const lat = []
  let packets = 0
  const warm = cfg.warmup * 100
  const total = (cfg.warmup + cfg.seconds) * 100
  const done = new Promise((resolve) => {
    cap.on('data', (buf, info) => {
      const now = performance.now()
      if (++packets > warm) lat.push(now - (info.captureTime + (info.frames * 1000) / 48000))
      if (cfg.mode === 'release') cap.release(buf)
      if (packets === total) resolve()
    })
  })
  await cap.start()
  await done
  const s = cap.stats()
  await cap.close()
  lat.sort((a, b) => a - b)
  process.send({ n: lat.length, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1], min: lat[0], misses: s.pool.misses, discontinuities: s.audio.discontinuities })
}

function run(cfg) {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, ['--child', JSON.stringify(cfg)], { env: process.env, stdio: ['ignore', 'inherit', 'ignore', 'ipc'] })
    let result = null
    c.once('message', (m) => (result = m))
    c.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`${cfg.source} ${cfg.mode}: exit ${code}`))))
  })
}

async function main() {
  const sources = get('sources', 'synthetic,device').split(',')
  const modes = get('modes', 'release,copy').split(',')
  const seconds = Number(get('seconds', 30))
  const warmup = Number(get('warmup', 3))
  const rounds = Number(get('rounds', 3))
  for (const s of sources) if (!['synthetic', 'device'].includes(s)) throw new Error(`--sources: unknown source ${s}`)
  for (const m of modes) if (!['release', 'copy'].includes(m)) throw new Error(`--modes: unknown mode ${m}`)
  if (!(seconds > 0) || !(warmup >= 0) || !(rounds >= 1)) throw new Error('--seconds, --warmup, --rounds: positive numbers')
  const cleanup = sources.includes('device') ? startAudioServer() : () => {}
  const configs = sources.flatMap((source) => modes.map((mode) => ({ source, mode, seconds, warmup })))
  const runs = new Map(configs.map((c) => [c, []]))
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < configs.length; i++) {
        const c = configs[(i + r) % configs.length]
        runs.get(c).push(await run(c))
      }
    }
  } finally {
    cleanup()
  }
  const command = `node bench/latency.js ${args.join(' ')}`.trim()
  const L = [`### latency: packet complete -> 'data' listener, 100 packets/s`, '']
  L.push(`\`${command}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${os.cpus().length} cores (${os.cpus()[0].model.trim()}), shared; Node ${process.version}. ${rounds} round(s) interleaved, ${seconds} s after ${warmup} s warm-up; ms, median (min–max) over rounds.`)
  L.push('')
  L.push('| source | mode | packets | p50 ms | p99 ms | max ms | misses | discontinuities |')
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- |')
  const cell = (s) => (s.n > 1 ? `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : s.median.toFixed(2))
  for (const c of configs) {
    const rs = runs.get(c)
    const sum = (k) => rs.reduce((a, r) => a + r[k], 0)
    L.push(`| ${c.source} | ${c.mode} | ${median(rs.map((r) => r.n))} | ${cell(spread(rs, (r) => r.p50))} | ${cell(spread(rs, (r) => r.p99))} | ${cell(spread(rs, (r) => r.max))} | ${sum('misses')} | ${sum('discontinuities')} |`)
  }
  const md = L.join('\n') + '\n'
  const dir = path.resolve(get('out-dir', path.join(__dirname, 'results')))
  fs.mkdirSync(dir, { recursive: true })
  const tag = get('tag', 'latency')
  fs.writeFileSync(path.join(dir, `${tag}.json`), JSON.stringify({ command, rounds, seconds, warmup, runs: configs.map((c) => ({ ...c, results: runs.get(c) })) }) + '\n')
  fs.writeFileSync(path.join(dir, `${tag}.md`), md)
  console.log(md)
}

if (args[0] === '--child') child(JSON.parse(args[1])).catch((e) => (console.error(e), process.exit(1)))
else main().catch((e) => (console.error(e.stack || e), process.exit(1)))
