'use strict'
// What real-time device capture costs, against the floor: pcmtap next to `arecord` on the same
// ALSA path, in the same interleaved rounds, with the sound server's CPU over the same window.
// Beside them: arecord with libpulse's shared memory off (pcmtap's setting for the pulse plugin),
// `arecord | node` (the Node floor: the cheapest way a Node process receives this audio), decibri
// (a peer) when installed under bench/node_modules, and other pcmtap configurations with --full.
// Per-application capture against its floor: `parec --monitor-stream=<the app's stream>` read by a
// Node process (what `application: { pid }` does on the server side, with the cheapest client),
// one pacat playing the tone as the application.
//
//   node bench/cpu.js [--seconds 10] [--warmup 3] [--rounds 3] [--full]
//
// Server: the private test server of scripts/audio-server.sh (started if needed), in the mode
// PCMTAP_AUDIO_SERVER names (pulseaudio, the default, or pipewire), with a 1 kHz tone playing.
// Each candidate runs in its own process, alone; CPU = utime+stime of all its threads from
// /proc/PID/stat over the last `seconds` (warm-up excluded), as % of one core. Server CPU = the
// same for the server processes over the same window. Ratios are medians of per-round ratios
// against arecord measured in the same round. Latency (pcmtap only) = time the 'data' event ran
// minus the capture time of the packet's last frame.
const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : def
}
const SCRIPT = path.join(__dirname, '..', 'scripts', 'audio-server.sh')
const DECIBRI = path.join(__dirname, 'node_modules', 'decibri')
const TICK = 100 // USER_HZ on Linux

// ---- child modes: one capture, stopped by SIGTERM, reports on stdout ----
if (args[0] === '--pcmtap') {
  const options = JSON.parse(args[1])
  const { Capture } = require('..')
  const cap = new Capture(options)
  const lat = []
  const rate = options.sampleRate ?? 48000
  cap.on('data', (buf, info) => {
    lat.push(performance.now() - (info.captureTime + (info.frames * 1000) / rate))
    cap.release(buf)
  })
  cap.on('error', (e) => {
    console.error(`pcmtap: ${e.code} ${e.message}`)
    process.exit(2)
  })
  cap.start().then(() => console.log(JSON.stringify({ started: true })))
  process.once('SIGTERM', () => {
    const s = cap.stats()
    lat.splice(0, Math.floor(lat.length / 4)) // warm-up part
    lat.sort((a, b) => a - b)
    console.log(JSON.stringify({
      latMedian: lat[Math.floor(lat.length / 2)],
      latP95: lat[Math.floor(lat.length * 0.95)],
      misses: s.pool.misses,
      discontinuities: s.audio.discontinuities,
      device: s.device ? `${s.device.host} ${s.device.id}` : `application ${s.application.name} (${s.application.streamsOpened} stream)`,
    }))
    cap.close().then(() => process.exit(0))
  })
  return
}
if (args[0] === '--decibri') {
  const { Microphone } = require(DECIBRI)
  const mic = new Microphone({ sampleRate: 48000, channels: 2, framesPerBuffer: 1024 })
  mic.on('data', () => {})
  mic.on('error', (e) => {
    console.error(`decibri: ${e.message}`)
    process.exit(2)
  })
  console.log(JSON.stringify({ started: true }))
  process.once('SIGTERM', () => {
    mic.stop()
    console.log(JSON.stringify({}))
    process.exit(0)
  })
  return
}

// ---- parent ----
const seconds = opt('seconds', 10)
const warmup = opt('warmup', 3)
const rounds = opt('rounds', 3)
const full = args.includes('--full')
const mode = process.env.PCMTAP_AUDIO_SERVER || 'pulseaudio'
const base = { sampleRate: 48000, channels: 2, format: 's16' }
const MONITOR = 'pcmtap_test.monitor'

const arecordArgs = (device, out) => ['-q', '-D', device, '-f', 'S16_LE', '-r', '48000', '-c', '2', '--period-size=1024', '-t', 'raw', out]
const arecord = (device, env = {}) => ({ kind: 'arecord', cmd: 'arecord', argv: arecordArgs(device, '/dev/null'), env })
const pcmtap = (options, env = {}) => ({ kind: 'pcmtap', cmd: process.execPath, argv: [__filename, '--pcmtap', JSON.stringify({ ...base, ...options })], env })
// libpulse with shared memory off, as pcmtap configures it for the pulse plugin
// (src/capture/pulse_conf.rs): arecord with the same setting isolates that choice's cost.
const NO_SHM = path.join(os.tmpdir(), `pcmtap-bench-noshm-${process.pid}.conf`)
// The Node floor: the cheapest way a Node program can receive this audio, arecord's stdout read
// by a Node process (CPU of both processes). What a Node process costs to wake ~47 times a
// second is in every Node capture, pcmtap's included.
const NODE_FLOOR = 'arecord piped into node (Node floor)'
const SAME_SHM = 'arecord, libpulse shared memory off'
const nodePipe = {
  kind: 'pipe',
  cmd: 'sh',
  argv: ['-c', `exec arecord ${arecordArgs('default', '-').join(' ')} | exec "${process.execPath}" -e "process.stdin.on('data', () => {})"`],
}

/** Each group: a floor and the candidates compared with it. */
const groups = [
  {
    name: 'default input',
    floor: ['arecord -D default', arecord('default')],
    cands: [
      ['pcmtap defaults', pcmtap({})],
      [SAME_SHM, arecord('default', { PULSE_CLIENTCONFIG: NO_SHM })],
      [NODE_FLOOR, nodePipe],
    ],
  },
  {
    name: 'loopback',
    floor: [`arecord -D pulse:DEVICE=${MONITOR}`, arecord(`pulse:DEVICE=${MONITOR}`)],
    cands: [['pcmtap loopback: true', pcmtap({ loopback: true })]],
  },
]
let decibriSkip = null
if (fs.existsSync(path.join(DECIBRI, 'package.json'))) {
  groups[0].cands.push(['decibri 48k stereo', { kind: 'decibri', cmd: process.execPath, argv: [__filename, '--decibri'] }])
} else {
  decibriSkip = `decibri skipped: not installed in bench/node_modules (npm install --prefix bench)`
}
if (full) {
  for (const bufferFrames of [256, 512, 2048]) groups[0].cands.push([`pcmtap bufferFrames ${bufferFrames}`, pcmtap({ bufferFrames })])
  groups[0].cands.push(['pcmtap host pulseaudio', pcmtap({ host: 'pulseaudio', device: MONITOR })])
  groups[0].cands.push(['pcmtap, shared memory kept (PCMTAP_PULSE_SHM=1)', pcmtap({}, { PCMTAP_PULSE_SHM: '1' })])
}

function stat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return s.slice(s.lastIndexOf(')') + 2).split(' ')
}

function ticks(pid) {
  const f = stat(pid)
  return Number(f[11]) + Number(f[12]) // utime, stime
}

/** `pid` and its descendants (the processes of a shell pipeline). */
function tree(pid) {
  const parent = new Map()
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      parent.set(Number(p), Number(stat(p)[1]))
    } catch {} // exited meanwhile
  }
  const out = [pid]
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p)
  return out
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Runs one candidate alone: `{ client, server, report }` (CPU in % of one core). */
async function measure(c, serverPids) {
  const child = spawn(c.cmd, c.argv, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })))
  await sleep(warmup * 1000)
  if (child.exitCode !== null) throw new Error(`${c.argv.join(' ')} exited early: ${err}`)
  const pids = tree(child.pid)
  const clientTicks = () => pids.reduce((n, p) => n + ticks(p), 0)
  const c0 = clientTicks()
  const s0 = serverPids.map(ticks)
  const t0 = process.hrtime.bigint()
  await sleep(seconds * 1000)
  const c1 = clientTicks()
  const s1 = serverPids.map(ticks)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  for (const p of c.kind === 'pipe' ? pids.reverse() : [child.pid]) {
    try {
      process.kill(p, 'SIGTERM')
    } catch {} // already gone
  }
  const { code, sig } = await exited
  if (c.kind !== 'arecord' && c.kind !== 'pipe' && code !== 0) throw new Error(`${c.kind} exit ${code ?? sig}: ${err}`)
  const lines = out.trim().split('\n').filter(Boolean)
  const report = lines.length ? JSON.parse(lines[lines.length - 1]) : {}
  const pct = (t) => ((t / TICK) / wall) * 100
  return { client: pct(c1 - c0), server: pct(s1.reduce((a, b) => a + b, 0) - s0.reduce((a, b) => a + b, 0)), report }
}

const med = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)] : NaN
}

// A ratio against a floor that used no clock tick of CPU (10 ms) in every round has no value:
// said so, never printed as NaN or Infinity (a 1 s smoke run of arecord can use none).
const NO_RATIO = 'n/a'
let noRatio = false
const ratio = (v) => {
  if (Number.isFinite(v)) return `${v.toFixed(2)}x`
  noRatio = true
  return NO_RATIO
}

/** The application of the per-application group: a pacat playing a 440 Hz tone into the test
 * sink. Resolves `{ pid, index, stop }` once the server lists its stream. */
async function startApplication() {
  const player = spawn('sh', ['-c', 'sox -q -n -t raw -r 48000 -c 2 -e signed -b 16 - synth 3600 sine 440 vol 0.5 | exec pacat --raw --rate=48000 --channels=2 --format=s16le --client-name=pcmtap-bench-app -d pcmtap_test'], { stdio: 'ignore', detached: true })
  const stop = () => {
    try {
      process.kill(-player.pid, 'SIGKILL')
    } catch {}
  }
  process.on('exit', stop)
  for (let i = 0; i < 100; i++) {
    const inputs = execFileSync('pactl', ['list', 'sink-inputs'], { encoding: 'utf8' }).split(/^Sink Input #/m).slice(1)
    const mine = inputs.find((b) => b.includes('application.name = "pcmtap-bench-app"'))
    if (mine) return { pid: Number(/application\.process\.id = "(\d+)"/.exec(mine)[1]), index: Number(mine.split('\n')[0]), stop }
    await sleep(50)
  }
  throw new Error('the benchmark application never played')
}

/** The per-application group for `app` (see startApplication). */
function applicationGroup(app) {
  const parec = `exec parec --monitor-stream=${app.index} --raw --format=s16le --rate=48000 --channels=2 --latency-msec=10 | exec "${process.execPath}" -e "process.stdin.on('data', () => {})"`
  return {
    name: 'application',
    floor: ['parec --monitor-stream piped into node', { kind: 'pipe', cmd: 'sh', argv: ['-c', parec] }],
    cands: [['pcmtap application: { pid }', pcmtap({ application: { pid: app.pid } })]],
  }
}

async function main() {
  let wasRunning = true
  try {
    execFileSync('bash', [SCRIPT, 'status'])
  } catch {
    wasRunning = false
  }
  if (!wasRunning) process.on('exit', () => execFileSync('bash', [SCRIPT, 'stop']))
  const out = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' })
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
  fs.writeFileSync(NO_SHM, 'enable-shm = no\n')
  process.on('exit', () => fs.rmSync(NO_SHM, { force: true }))
  const serverPids = execFileSync('bash', [SCRIPT, 'pids'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)
  execFileSync('bash', [SCRIPT, 'tone-start'])
  const app = await startApplication()
  groups.push(applicationGroup(app))
  const results = new Map()
  try {
    for (let r = 0; r < rounds; r++) {
      for (const g of groups) {
        const list = [g.floor, ...g.cands]
        const order = list.map((_, i) => list[(i + r) % list.length])
        const round = {}
        for (const [name, c] of order) round[name] = await measure(c, serverPids)
        for (const [name] of list) {
          const key = `${g.name}|${name}`
          if (!results.has(key)) results.set(key, [])
          results.get(key).push({ ...round[name], ratio: round[name].client / round[g.floor[0]].client, serverRatio: round[name].server / round[g.floor[0]].server })
        }
      }
    }
  } finally {
    execFileSync('bash', [SCRIPT, 'tone-stop'])
    app.stop()
  }
  console.log(`device capture cost on ${mode}: ${os.cpus().length} cores, Node ${process.version}, 48 kHz stereo s16, ${seconds} s measured after ${warmup} s warm-up, medians of ${rounds} interleaved round(s)`)
  console.log('| path | candidate | client CPU % | vs floor | server CPU % | server vs floor | latency median / p95 ms | misses | discontinuities |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const g of groups) {
    for (const [name] of [g.floor, ...g.cands]) {
      const rs = results.get(`${g.name}|${name}`)
      const rep = rs.map((x) => x.report)
      const lat = rep[0].latMedian === undefined ? '-' : `${med(rep.map((x) => x.latMedian)).toFixed(1)} / ${med(rep.map((x) => x.latP95)).toFixed(1)}`
      const sum = (k) => (rep[0][k] === undefined ? '-' : rep.reduce((n, x) => n + x[k], 0))
      console.log(`| ${g.name} | ${name} | ${med(rs.map((x) => x.client)).toFixed(2)} | ${ratio(med(rs.map((x) => x.ratio)))} | ${med(rs.map((x) => x.server)).toFixed(2)} | ${ratio(med(rs.map((x) => x.serverRatio)))} | ${lat} | ${sum('misses')} | ${sum('discontinuities')} |`)
    }
  }
  for (const g of groups) {
    for (const [name] of g.cands) {
      const d = results.get(`${g.name}|${name}`)[0].report.device
      if (d) console.log(`${name}: opened ${d}`)
    }
  }
  // pcmtap against the other floors of the same rounds (medians of per-round ratios).
  const client = (name) => (results.get(`default input|${name}`) || []).map((x) => x.client)
  const pc = client('pcmtap defaults')
  for (const other of [SAME_SHM, NODE_FLOOR]) {
    const o = client(other)
    if (o.length === pc.length) console.log(`pcmtap defaults vs ${other}: ${ratio(med(pc.map((x, i) => x / o[i])))}`)
  }
  if (noRatio) console.log(`${NO_RATIO}: the floor used less than one clock tick of CPU (${(1000 / TICK).toFixed(0)} ms) in every round; measure longer (--seconds)`)
  if (decibriSkip) console.log(decibriSkip)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
