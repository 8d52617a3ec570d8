'use strict'
// What real-time device capture costs: process CPU (% of one core) and delivery latency, per
// host and device buffer size, against the private PulseAudio server (scripts/audio-server.sh)
// with a 1 kHz tone playing.
//
//   node bench/cpu.js [--seconds 30] [--warmup 5] [--rounds 1] [--quick]
//
// Each configuration runs in its own child process (a fresh heap and no other capture), for
// warmup + seconds; CPU is measured over the last `seconds` only. Latency = time the 'data'
// event ran minus the capture time of the packet's last frame (performance.now() clock).
// Configurations run interleaved, round by round; figures are medians over rounds.
const { execFileSync, fork } = require('node:child_process')
const os = require('node:os')
const path = require('node:path')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : def
}

if (args[0] === '--child') {
  const cfg = JSON.parse(args[1])
  const { Capture } = require('..')
  const cap = new Capture(cfg.options)
  const lat = []
  let measuring = false
  cap.on('data', (buf, info) => {
    if (measuring) lat.push(performance.now() - (info.captureTime + (info.frames * 1000) / cfg.options.sampleRate))
    cap.release(buf)
  })
  cap.start()
  setTimeout(() => {
    measuring = true
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    setTimeout(() => {
      const c = process.cpuUsage(c0)
      const wall = Number(process.hrtime.bigint() - t0) / 1e3
      const s = cap.stats()
      cap.close()
      lat.sort((a, b) => a - b)
      process.send({
        cpu: ((c.user + c.system) / wall) * 100,
        latMedian: lat[Math.floor(lat.length / 2)],
        latP95: lat[Math.floor(lat.length * 0.95)],
        misses: s.pool.misses,
        discontinuities: s.audio.discontinuities,
        device: s.device,
      })
    }, cfg.seconds * 1000)
  }, cfg.warmup * 1000)
  return
}

const seconds = opt('seconds', 30)
const warmup = opt('warmup', 5)
const rounds = opt('rounds', 1)
const quick = args.includes('--quick')
const base = { sampleRate: 48000, channels: 2, format: 's16' }
const configs = []
for (const [host, device] of [['alsa', 'default'], ['pulseaudio', 'pcmtap_test.monitor']]) {
  for (const bufferFrames of quick ? [undefined, 1024] : [undefined, 256, 512, 1024, 2048]) {
    configs.push({ name: `${host} ${bufferFrames ?? 'default'}`, options: { ...base, host, device, bufferFrames } })
  }
}

function runChild(cfg) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', JSON.stringify({ ...cfg, seconds, warmup })], { env: process.env })
    child.once('message', resolve)
    child.once('exit', (code) => code !== 0 && reject(new Error(`${cfg.name}: exit ${code}`)))
  })
}

async function main() {
  const script = path.join(__dirname, '..', 'scripts', 'audio-server.sh')
  let wasRunning = true
  try {
    execFileSync('bash', [script, 'status'])
  } catch {
    wasRunning = false
  }
  if (!wasRunning) process.on('exit', () => execFileSync('bash', [script, 'stop']))
  const out = execFileSync('bash', [script, 'start'], { encoding: 'utf8' })
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
  const sine = execFileSync('pactl', ['load-module', 'module-sine', 'sink=pcmtap_test', 'frequency=1000', 'rate=48000'], { encoding: 'utf8' }).trim()
  const results = new Map(configs.map((c) => [c.name, []]))
  try {
    for (let r = 0; r < rounds; r++) {
      const order = configs.map((_, i) => configs[(i + r) % configs.length])
      for (const cfg of order) results.get(cfg.name).push(await runChild(cfg))
    }
  } finally {
    execFileSync('pactl', ['unload-module', sine])
  }
  const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(`pcmtap device capture cost: ${os.cpus().length} cores, Node ${process.version}, ${seconds} s measured after ${warmup} s warm-up, median of ${rounds} interleaved round(s)`)
  console.log('| host | bufferFrames | CPU % of one core | latency median ms | latency p95 ms | misses | discontinuities |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const cfg of configs) {
    const rs = results.get(cfg.name)
    const [host, buf] = cfg.name.split(' ')
    console.log(`| ${host} | ${buf} | ${med(rs.map((x) => x.cpu)).toFixed(2)} | ${med(rs.map((x) => x.latMedian)).toFixed(1)} | ${med(rs.map((x) => x.latP95)).toFixed(1)} | ${rs.reduce((n, x) => n + x.misses, 0)} | ${rs.reduce((n, x) => n + x.discontinuities, 0)} |`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
