'use strict'
// The heap-growth benchmark's runner (JS thread of the parent process): parses the command
// line, prepares the audio server for device scenarios, runs every mode in a fresh child
// process (child.js), interleaved A B C… for K rounds (or all modes at once with --concurrent),
// then writes JSON, markdown and SVG (report.js, svg.js) under bench/results/.
const { fork } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startAudioServer } = require('../audio-server')
const { report } = require('./report')
const { chart } = require('./svg')

const PCMTAP_MODES = ['autoRelease', 'release', 'gc-only', 'copy']
const SCENARIOS = {
  // 100 packets/s from the synthetic source, paced by a real clock.
  realtime: { source: 'synthetic', paced: true, modes: PCMTAP_MODES, warmup: 10, seconds: 60, rounds: 3, sampleMs: 250, classic: '3x15' },
  // 100 packets/s from the private PulseAudio server's null sink (1 kHz tone), decibri beside.
  device: { source: 'device', paced: true, modes: [...PCMTAP_MODES, 'decibri'], warmup: 10, seconds: 60, rounds: 3, sampleMs: 250, classic: '3x15' },
  // One simulated hour (360,000 packets) unpaced: time-compressed.
  hour: { source: 'synthetic', paced: false, modes: PCMTAP_MODES, warmup: 300, seconds: 3600, rounds: 3, sampleMs: 50, classic: '0x0' },
  // Ten simulated hours (3.6 M packets) unpaced; the first hour is the warm-up.
  'ten-hours': { source: 'synthetic', paced: false, modes: PCMTAP_MODES, warmup: 3600, seconds: 32400, rounds: 1, sampleMs: 200, classic: '0x0' },
  // Real-time device soak, every mode at once (--concurrent), 10 minutes after a 30 s warm-up.
  // A capture stopped by DEVICE_LOST (server silent 3 s) is re-opened and counted (--no-reopen: not).
  soak: { source: 'device', paced: true, modes: [...PCMTAP_MODES, 'decibri'], warmup: 30, seconds: 600, rounds: 1, sampleMs: 1000, classic: '0x0', concurrent: true, reopen: true },
}

function parseArgs(argv) {
  const get = (name) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const name = get('scenario') || 'realtime'
  const base = SCENARIOS[name]
  if (!base) throw new Error(`--scenario ${name}: expected one of ${Object.keys(SCENARIOS).join(', ')}`)
  const num = (k, def) => (get(k) === undefined ? def : Number(get(k)))
  const seconds = get('minutes') !== undefined ? Number(get('minutes')) * 60 : num('seconds', base.seconds)
  const [iterations, classicSeconds] = (get('classic') || base.classic).split('x').map(Number)
  const cfg = {
    scenario: name,
    source: base.source,
    paced: base.paced,
    modes: get('modes') ? get('modes').split(',') : base.modes,
    warmup: num('warmup', base.warmup),
    seconds,
    rounds: num('rounds', base.rounds),
    sampleMs: num('sample-ms', base.sampleMs),
    classic: { iterations, seconds: classicSeconds },
    concurrent: argv.includes('--concurrent') || (base.concurrent && !argv.includes('--sequential')),
    reopen: argv.includes('--reopen') || (Boolean(base.reopen) && !argv.includes('--no-reopen')),
    tag: get('tag') || name,
    outDir: path.resolve(get('out-dir') || path.join(__dirname, '..', 'results')),
    command: `node bench/heap-growth.js ${argv.join(' ')}`.trim(),
  }
  for (const m of cfg.modes) {
    if (![...PCMTAP_MODES, 'decibri'].includes(m)) throw new Error(`--modes: unknown mode ${m}`)
    if (m === 'decibri' && cfg.source !== 'device') throw new Error('decibri captures from a device: use a device scenario')
  }
  for (const k of ['warmup', 'seconds', 'rounds', 'sampleMs']) {
    if (!(cfg[k] >= 0) || (k !== 'warmup' && cfg[k] === 0)) throw new Error(`--${k}: ${cfg[k]} is not a positive number`)
  }
  return cfg
}

function runChild(cfg, mode) {
  const childCfg = {
    mode,
    source: cfg.source,
    paced: cfg.paced,
    warmupSeconds: cfg.warmup,
    measureSeconds: cfg.seconds,
    sampleMs: cfg.sampleMs,
    classic: cfg.classic,
    reopen: cfg.reopen,
    // Unpaced, a mode that cannot get slots back stops delivering: stop it after 5 s of nothing.
    stallMs: 5000,
    maxWallSeconds: (cfg.paced ? (cfg.warmup + cfg.seconds) * 1.5 : 3600) + 30,
  }
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'child.js'), [JSON.stringify(childCfg)], {
      execArgv: ['--expose-gc'],
      env: process.env,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d).length > 65536 && (err = err.slice(-32768)))
    let result = null
    child.once('message', (m) => (result = m))
    child.once('exit', (code, signal) => {
      if (result && code === 0) resolve(result)
      else reject(new Error(`${mode}: child exited ${code ?? signal}\n${err.split('\n').filter((l) => !l.startsWith('ALSA lib')).join('\n')}`))
    })
  })
}

/** --render FILE.json: rewrites FILE.md and FILE.svg from a saved run (same figures). */
function render(file) {
  const { meta, runs } = JSON.parse(fs.readFileSync(file, 'utf8'))
  const base = file.replace(/\.json$/, '')
  const md = report(meta, runs)
  fs.writeFileSync(`${base}.md`, md)
  fs.writeFileSync(`${base}.svg`, chart(meta, runs))
  console.log(md)
}

async function main(argv = process.argv.slice(2)) {
  if (argv[0] === '--render') return render(path.resolve(argv[1]))
  const cfg = parseArgs(argv)
  const cleanup = cfg.source === 'device' ? startAudioServer({ tone: true }) : () => {}
  const runs = Object.fromEntries(cfg.modes.map((m) => [m, []]))
  const started = new Date()
  try {
    for (let r = 0; r < cfg.rounds; r++) {
      // Rotate the order each round so no mode always runs first.
      const order = cfg.modes.map((_, i) => cfg.modes[(i + r) % cfg.modes.length])
      if (cfg.concurrent) {
        // Wait for every child even if one fails, so none is left running.
        const results = await Promise.allSettled(order.map((m) => runChild(cfg, m)))
        const failed = results.find((x) => x.status === 'rejected')
        if (failed) throw failed.reason
        results.forEach((res, i) => runs[order[i]].push({ round: r, ...res.value }))
      } else {
        for (const m of order) {
          process.stderr.write(`round ${r + 1}/${cfg.rounds}: ${m}\n`)
          runs[m].push({ round: r, ...(await runChild(cfg, m)) })
        }
      }
    }
  } finally {
    cleanup()
  }
  const machine = `${os.cpus().length} cores (${os.cpus()[0].model.trim()}), shared; ${os.type()} ${os.release()}; Node ${process.version}`
  const meta = { ...cfg, started: started.toISOString(), finished: new Date().toISOString(), machine }
  const md = report(meta, runs)
  fs.mkdirSync(cfg.outDir, { recursive: true })
  const base = path.join(cfg.outDir, `heap-growth-${cfg.tag}`)
  fs.writeFileSync(`${base}.json`, JSON.stringify({ meta, runs }) + '\n')
  fs.writeFileSync(`${base}.md`, md)
  fs.writeFileSync(`${base}.svg`, chart(meta, runs))
  console.log(md)
  console.log(`wrote ${base}.json, .md, .svg`)
}

module.exports = { main, parseArgs, SCENARIOS }
