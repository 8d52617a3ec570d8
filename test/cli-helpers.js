'use strict'
// Helpers of the CLI tests (test/cli*.test.js): the `pcmtap` command run as a child, its WAV
// files read back by sox, a private test server. Not a test file. JS thread.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')

const BIN = path.join(ROOT, 'bin', 'pcmtap.js')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-cli-'))
test.after(() => fs.rmSync(work, { recursive: true, force: true }))
const out = (name) => path.join(work, name)
const haveSox = spawnSync('sox', ['--version']).status === 0
const needSox = !haveSox && (process.env.CI ? false : 'sox is not installed (apt-get install sox)')
if (!haveSox && process.env.CI) throw new Error('CI must run the CLI tests, but sox is not installed')

function cli(args, { env = process.env, timeout = 60_000 } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, env, encoding: 'utf8', timeout })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

/** What sox says about a WAV file's header. */
function soxInfo(file) {
  const q = (flag) => {
    const r = spawnSync('sox', ['--i', flag, file], { encoding: 'utf8' })
    assert.equal(r.status, 0, `sox --i ${flag} ${file}: ${r.stderr}`)
    return r.stdout.trim()
  }
  return { rate: Number(q('-r')), channels: Number(q('-c')), bits: Number(q('-b')), seconds: Number(q('-D')), encoding: q('-e') }
}

/** Channel 1 of a WAV file, decoded by sox to 32-bit float. */
function soxSamples(file) {
  const r = spawnSync('sox', [file, '-t', 'raw', '-e', 'floating-point', '-b', '32', '-', 'remix', '1'], { maxBuffer: 1 << 28 })
  assert.equal(r.status, 0, String(r.stderr))
  return new Float32Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length / 4)
}

function cliAsync(args, { env = process.env, onStart } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }))
    if (onStart) onStart(child)
  })
}

function privateServer(name) {
  const env = { ...process.env, PCMTAP_AUDIO_DIR: out(name) }
  const script = path.join(ROOT, 'scripts', 'audio-server.sh')
  const run = (...args) => {
    const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 30_000 })
    assert.equal(r.status, 0, childReport(r))
    for (const m of r.stdout.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2]
  }
  const stop = () => spawnSync('bash', [script, 'stop'], { env })
  return { env, run, stop }
}

module.exports = { BIN, work, out, haveSox, needSox, cli, cliAsync, soxInfo, soxSamples, privateServer }
