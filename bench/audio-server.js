'use strict'
// The benchmarks' side of scripts/audio-server.sh: starts the private PulseAudio test server if
// needed, points this process (and the children it forks) at it, optionally plays a 1 kHz tone
// into its null sink, and returns a cleanup function that undoes both (stopping the server only
// if this process started it). Runs on the JS thread of a benchmark's parent process.
const { execFileSync } = require('node:child_process')
const path = require('node:path')

const SCRIPT = path.join(__dirname, '..', 'scripts', 'audio-server.sh')

function startAudioServer({ tone = false } = {}) {
  let wasRunning = true
  try {
    execFileSync('bash', [SCRIPT, 'status'], { stdio: 'ignore' })
  } catch {
    wasRunning = false
  }
  const out = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' })
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2]
  const module = tone
    ? execFileSync('pactl', ['load-module', 'module-sine', 'sink=pcmtap_test', 'frequency=1000', 'rate=48000'], { encoding: 'utf8' }).trim()
    : null
  return () => {
    try {
      if (module) execFileSync('pactl', ['unload-module', module], { stdio: 'ignore' })
      if (!wasRunning) execFileSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore' })
    } catch {}
  }
}

module.exports = { startAudioServer }
