'use strict'
// Churn: `cycles` create/start/(a few packets)/stop/close cycles of one source, then prints
// RSS, open fds and threads at the baseline (after `warmup` cycles) and at the end, as JSON.
// Run by test/stress.test.js in a child: node --expose-gc test/stress/churn.js <source> <cycles> <warmup>
const fs = require('node:fs')
const { Capture } = require('../..')

const SOURCES = {
  paced: { source: 'synthetic', synthetic: { waveform: 'counter', paced: true } },
  unpaced: { source: 'synthetic', synthetic: { waveform: 'counter', paced: false } },
  device: { host: 'pulseaudio', device: 'pcmtap_test.monitor' },
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    global.gc()
    await new Promise((r) => setImmediate(r))
  }
}

async function sample() {
  await settle()
  return {
    rss: process.memoryUsage().rss,
    fds: fs.readdirSync('/proc/self/fd').length,
    tasks: fs.readdirSync('/proc/self/task').length,
  }
}

async function cycle(options) {
  const cap = new Capture(options)
  let n = 0
  const got = new Promise((resolve) => {
    cap.on('data', (buf) => {
      // Keep every other Buffer for GC to return, release the rest.
      if (n++ % 2 === 0) cap.release(buf)
      if (n === 3) resolve()
    })
  })
  await cap.start()
  await got
  await cap.stop()
  await cap.close()
}

async function main() {
  const [source, cycles, warmup] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])]
  const options = SOURCES[source]
  for (let i = 0; i < warmup; i++) await cycle(options)
  const base = await sample()
  for (let i = warmup; i < cycles; i++) await cycle(options)
  // A device stream whose host teardown blocks is left to its own thread by stop() (see
  // src/capture/stream.rs); give such threads up to 15 s to finish before the last sample.
  let end = await sample()
  let waitedMs = 0
  while ((end.fds > base.fds || end.tasks > base.tasks) && waitedMs < 15_000) {
    await new Promise((r) => setTimeout(r, 250))
    waitedMs += 250
    end = await sample()
  }
  // Names of the threads beyond the baseline's, to tell whose they are when the test fails.
  const threads = fs.readdirSync('/proc/self/task').map((t) => {
    try {
      return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim()
    } catch {
      return '?'
    }
  })
  console.log(JSON.stringify({ source, cycles, warmup, base, end, waitedMs, threads }))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
