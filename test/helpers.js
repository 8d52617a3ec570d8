'use strict'
// Shared test helpers (JS thread). Not a test file itself.
const { spawnSync } = require('./spawn')
const { once } = require('node:events')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')

/** Runs `code` in a fresh `node` process; returns status, signal and both streams.
 * `addressSpaceKb` limits the child's address space (`ulimit -v`). */
function runChild(code, { args = [], env = {}, timeout = 60_000, addressSpaceKb } = {}) {
  const argv = [...args, '-e', code]
  const [cmd, cmdArgs] = addressSpaceKb
    ? ['/bin/sh', ['-c', `ulimit -v ${addressSpaceKb} && exec "$0" "$@"`, process.execPath, ...argv]]
    : [process.execPath, argv]
  const r = spawnSync(cmd, cmdArgs, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout,
  })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error }
}

/** A message for assertions on a child: both streams (and why it could not run, if it could
 * not), so a failure explains itself. */
function childReport(r) {
  const error = r.error ? ` error=${r.error.code || ''} ${r.error.message}` : ''
  return `status=${r.status} signal=${r.signal}${error}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
}

/** Registers `cap` to be closed when test `t` ends, whatever its outcome, and returns it. A
 * running capture keeps the process alive (as it should), so a failed assertion between start()
 * and close() would otherwise keep the test file's process alive and hang the runner.
 * close() is idempotent: a test that closes the capture itself loses nothing. */
function closeAfter(t, cap) {
  t.after(() => cap.close())
  return cap
}

/** Collects `count` packets (copies of their bytes and their info), then stops. */
async function collect(cap, count, { release = true } = {}) {
  const packets = []
  cap.on('data', (buf, info) => {
    if (packets.length < count) packets.push({ bytes: Buffer.from(buf), info, external: buf })
    if (release) cap.release(buf)
    if (packets.length === count && cap.running) cap.stop()
  })
  const stopped = once(cap, 'stop')
  cap.start()
  await stopped
  return packets
}

/** Checks the counter pattern: sample value = frame index % 32768, on every channel. */
function checkCounter(packets, { channels, format }) {
  let frame = 0
  for (const { bytes, info } of packets) {
    const samples =
      format === 's16'
        ? new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
        : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
    if (samples.length !== info.frames * channels) throw new Error(`packet ${info.seq}: ${samples.length} samples for ${info.frames} frames`)
    for (let i = 0; i < samples.length; i++) {
      const f = frame + Math.floor(i / channels)
      const want = format === 's16' ? f % 32768 : (f % 32768) / 32768
      if (samples[i] !== want) throw new Error(`frame ${f} (packet ${info.seq}, sample ${i}): got ${samples[i]}, want ${want}`)
    }
    frame += info.frames
  }
  return frame
}

// The longest the event loop may lag behind a 5 ms timer in tests that prove pcmtap never waits
// on the JS thread (device death, reconnect). What they guard against is pcmtap waiting for the
// server or a stream there: its shortest such wait is the 500 ms callback wait (then the 2 s stop
// and handshake timeouts). A loaded 2-core machine lags timers by itself (measured: 66 ms while
// two compile jobs ran beside the suite), which is no finding.
const MAX_BLOCK_MS = 250

module.exports = { ROOT, runChild, childReport, closeAfter, collect, checkCounter, MAX_BLOCK_MS }
