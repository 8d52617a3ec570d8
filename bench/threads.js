'use strict'
// Per-thread CPU of one command: where a capture's cost goes (JS thread, relay, libpulse, cpal).
//
//   node bench/threads.js [--seconds 20] [--warmup 3] -- COMMAND [ARGS...]
//
// Runs COMMAND, waits `warmup` s, then reads utime+stime and voluntary context switches of
// every thread (/proc/PID/task/*/stat, status) over `seconds` s and prints each thread's CPU
// (% of one core) and wake-ups per second, then stops COMMAND with SIGTERM. Threads of the
// command's process only (not its children). One run is noisy on a shared machine: interleave
// several runs of the commands you compare, e.g. with the audio server of
// scripts/audio-server.sh and a tone playing (bench/README.md has the figures and commands).
const { spawn } = require('node:child_process')
const fs = require('node:fs')

const args = process.argv.slice(2)
const sep = args.indexOf('--')
if (sep < 0 || sep === args.length - 1) {
  console.error('usage: node bench/threads.js [--seconds 20] [--warmup 3] -- COMMAND [ARGS...]')
  process.exit(2)
}
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && i < sep ? Number(args[i + 1]) : def
}
const seconds = opt('seconds', 20)
const warmup = opt('warmup', 3)
const [cmd, ...argv] = args.slice(sep + 1)

function snapshot(pid) {
  const threads = new Map()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
      threads.set(tid, {
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        ticks: Number(f[11]) + Number(f[12]),
        wakes: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)[1]),
      })
    } catch {} // the thread ended meanwhile
  }
  return threads
}

const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] })
child.once('exit', (code, sig) => {
  if (!done) {
    console.error(`${cmd} exited early (${code ?? sig})`)
    process.exit(1)
  }
})
let done = false
setTimeout(() => {
  const a = snapshot(child.pid)
  const t0 = performance.now()
  setTimeout(() => {
    const b = snapshot(child.pid)
    const wall = (performance.now() - t0) / 1000
    done = true
    child.kill('SIGTERM')
    const rows = [...b].map(([tid, v]) => {
      const u = a.get(tid) ?? { ticks: 0, wakes: 0 }
      return { name: v.name, cpu: ((v.ticks - u.ticks) / 100 / wall) * 100, wakes: (v.wakes - u.wakes) / wall }
    })
    const total = rows.reduce((n, r) => n + r.cpu, 0)
    console.log(`${[cmd, ...argv].join(' ')}: ${total.toFixed(2)} % of one core over ${wall.toFixed(1)} s`)
    console.log('| thread | CPU % | wake-ups/s |')
    console.log('| --- | --- | --- |')
    for (const r of rows.filter((r) => r.cpu > 0 || r.wakes >= 1).sort((x, y) => y.cpu - x.cpu)) {
      console.log(`| ${r.name} | ${r.cpu.toFixed(2)} | ${r.wakes.toFixed(0)} |`)
    }
  }, seconds * 1000)
}, warmup * 1000)
