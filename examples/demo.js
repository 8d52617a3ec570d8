#!/usr/bin/env node
'use strict'
// `npm run demo`: records 5 s from the default input device to capture.wav and prints the
// statistics. With no input device (or no sound server) it says so and records pcmtap's
// synthetic 1 kHz tone instead, through the same pool and delivery path, so it always produces
// a WAV file. Uses the public API (through the CLI's recorder), never native.js. JS thread.
const path = require('node:path')
const { recordWav } = require('../cli/record')

const file = path.resolve(process.argv[2] || 'capture.wav')
const SECONDS = 5
const io = { stdout: process.stdout, stderr: process.stderr, live: Boolean(process.stderr.isTTY) }
const ac = new AbortController()
process.on('SIGINT', () => (ac.signal.aborted ? process.exit(130) : ac.abort()))

async function demo() {
  console.log(`Recording ${SECONDS} s from the default input device to ${file} (Ctrl-C stops early)`)
  const dev = await recordWav({ file, seconds: SECONDS, capture: {}, signal: ac.signal, ...io })
  if (!dev.error) return 0
  if (dev.frames > 0) {
    console.error(`pcmtap demo: the device failed after ${dev.seconds.toFixed(2)} s (${dev.error.code}): ${firstLine(dev.error)}`)
    return 1
  }
  console.log(
    `No usable input device or sound server here (${dev.error.code}: ${firstLine(dev.error)}).\n` +
      `Recording pcmtap's synthetic 1 kHz tone instead, through the same pool and delivery path.`,
  )
  const syn = await recordWav({ file, seconds: SECONDS, capture: { source: 'synthetic' }, signal: ac.signal, ...io })
  if (syn.error) {
    console.error(`pcmtap demo: ${syn.error.code}: ${firstLine(syn.error)}`)
    return 1
  }
  return 0
}

function firstLine(err) {
  return String(err.message).split('\n')[0]
}

demo().then((code) => {
  process.exitCode = code
})
