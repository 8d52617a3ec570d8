'use strict'
// The `pcmtap` CLI and `npm run demo`, run as child processes; their WAV files are read back
// by a real reader (sox, Debian's `sox` package): header fields with `sox --i`, samples decoded
// by sox and analysed here. Device cases use the test PulseAudio server (scripts/audio-server.sh).
// Usage errors: test/cli-args.test.js.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const fs = require('node:fs')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { ensureAudioServer, tone, unloadModule, skipReason } = require('./audio-server')
const { analyze } = require('./signal')

const server = ensureAudioServer()
const { BIN, work, out, needSox, cli, cliAsync, soxInfo, soxSamples, privateServer } = require('./cli-helpers')

for (const c of [
  { format: 's16', rate: 48000, channels: 2, bits: 16, encoding: /Signed Integer PCM/ },
  { format: 'f32', rate: 44100, channels: 1, bits: 32, encoding: /Floating Point PCM/ },
  { format: 's16', rate: 16000, channels: 4, bits: 16, encoding: /Signed Integer PCM/ },
]) {
  test(`record --synthetic ${c.format} ${c.rate} Hz ${c.channels} ch: sox reads the header and the 1 kHz tone`, { skip: needSox }, () => {
    const file = out(`syn-${c.format}-${c.channels}.wav`)
    const r = cli(['record', file, '--synthetic', '--seconds', '1.5', '--format', c.format, '--rate', String(c.rate), '--channels', String(c.channels)])
    assert.equal(r.status, 0, childReport(r))
    assert.match(r.stdout, /Wrote .*: 1\.50 s/)
    assert.match(r.stdout, /hit rate 100\.0 %, misses 0/)
    assert.doesNotMatch(r.stderr, /REC/, 'no status line when stderr is not a TTY')
    const info = soxInfo(file)
    assert.equal(info.rate, c.rate)
    assert.equal(info.channels, c.channels)
    assert.equal(info.bits, c.bits)
    assert.match(info.encoding, c.encoding)
    assert.ok(Math.abs(info.seconds - 1.5) <= 1.5 * 0.02, `duration ${info.seconds}`)
    const a = analyze(soxSamples(file), c.rate)
    assert.ok(Math.abs(a.frequency - 1000) <= 5, `frequency ${a.frequency}`)
    assert.ok(Math.abs(a.rms - 0.3536) <= 0.01, `RMS ${a.rms}`)
  })
}

test('record from the test server: sox reads rate, channels, bits, duration (±2 %) and the server\'s tone', { skip: needSox }, async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const mod = await tone({ frequency: 440 })
  const file = out('device.wav')
  let r
  try {
    r = await cliAsync(['record', file, '--seconds', '2'])
  } finally {
    await unloadModule(mod)
  }
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /source {5}\S*pcmtap_test\.monitor /, "the server's default source")
  const info = soxInfo(file)
  assert.deepEqual([info.rate, info.channels, info.bits], [48000, 2, 16])
  assert.ok(Math.abs(info.seconds - 2) <= 2 * 0.02, `duration ${info.seconds}`)
  const samples = soxSamples(file)
  const a = analyze(samples.subarray(4800), 48000) // skip the first 0.1 s (stream start)
  assert.ok(Math.abs(a.frequency - 440) <= 5, `frequency ${a.frequency}: not the server's 440 Hz tone`)
  assert.ok(Math.abs(a.rms - 0.3536) <= 0.3536 * 0.05, `RMS ${a.rms}`)
})

test('SIGINT during record ends it cleanly: exit 0, a valid WAV with what was recorded', { skip: needSox }, async () => {
  const file = out('sigint.wav')
  const t0 = Date.now()
  // Interrupt once the header has been rewritten with real sizes at least once (1 s of audio).
  const grown = (child) => {
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0
    if (size > 44 + 48000 * 4) child.kill('SIGINT')
    else setTimeout(grown, 50, child)
  }
  const r = await cliAsync(['record', file, '--synthetic'], { onStart: grown })
  const wall = (Date.now() - t0) / 1000
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /\(interrupted\)/)
  const info = soxInfo(file)
  assert.ok(info.seconds >= 1 && info.seconds < wall, `duration ${info.seconds} s of ${wall} s`)
  const size = fs.statSync(file).size
  assert.equal(size, 44 + Math.round(info.seconds * 48000) * 4, 'the header accounts for every byte in the file')
  const a = analyze(soxSamples(file), 48000)
  assert.ok(Math.abs(a.frequency - 1000) <= 5, `frequency ${a.frequency}`)
})

test("one Ctrl-C delivered twice (the terminal's and a forwarding parent's, as npx under bash) still ends it cleanly: exit 0", { skip: needSox }, async () => {
  const file = out('sigint-twice.wav')
  const twice = (child) => {
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0
    if (size <= 44 + 48000) return void setTimeout(twice, 50, child)
    child.kill('SIGINT')
    setTimeout(() => child.kill('SIGINT'), 1) // while the recording is still ending
    // And more as it exits (the summary is its last output): Node gives SIGINT its default
    // action back while it ends by itself, so a copy arriving then killed it (CI).
    child.stdout.on('data', (d) => {
      if (!/^Wrote /m.test(String(d))) return
      const spam = () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        try {
          child.kill('SIGINT')
        } catch {}
        setImmediate(spam)
      }
      spam()
    })
  }
  const r = await cliAsync(['record', file, '--synthetic'], { onStart: twice })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /\(interrupted\)/)
  assert.equal(fs.statSync(file).size, 44 + Math.round(soxInfo(file).seconds * 48000) * 4, 'the header accounts for every byte in the file')
})

/** A private test server in `out(name)` (stopping it disturbs no other test): its environment,
 * `run(...args)` for scripts/audio-server.sh commands (asserts success; `start` adds the
 * server's variables to `env`), and `stop()`. */
for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: a lost device ends the recording: exit 1, one error line with its code, a valid WAV holding every packet delivered`, { skip: needSox }, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    // A second private server, so stopping it disturbs no other test.
    const { env, run, stop } = privateServer(`server2-${host}`)
    run('start')
    const file = out(`lost-${host}.wav`)
    let stoppedAt = null
    const killServer = (child) => {
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0
      if (size > 44 + 48000 * 4) {
        stoppedAt = size
        stop()
      } else setTimeout(killServer, 50, child)
    }
    let r
    try {
      r = await cliAsync(['record', file, '--host', host, '--device', 'pcmtap_test.monitor', '--seconds', '60'], { env, onStart: killServer })
    } finally {
      stop()
    }
    assert.ok(stoppedAt, 'the server was stopped mid-recording')
    assert.equal(r.status, 1, childReport(r))
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('pcmtap:'))
    assert.equal(ours.length, 1, r.stderr)
    assert.match(ours[0], /^pcmtap: (DEVICE_LOST|STREAM_ERROR): /)
    assert.match(r.stdout, /\(capture failed\)/)
    const info = soxInfo(file)
    assert.ok(info.seconds >= 1 && info.seconds < 60, `duration ${info.seconds}`)
    assert.equal(fs.statSync(file).size, 44 + Math.round(info.seconds * 48000) * 4, 'the header accounts for every byte in the file')
    // Every packet delivered is in the file (the last one may be short): none after the error.
    const [, written, delivered] = /packets +(\d+) written of (\d+) delivered/.exec(r.stdout).map(Number)
    assert.equal(written, delivered, r.stdout)
    const frames = Math.round(info.seconds * 48000)
    assert.ok(frames > (written - 1) * 480 && frames <= written * 480, `${frames} frames in the file for ${written} packets of 480`)
  })
}

test('--reconnect records through a server death and return: the gap is written as silence, the file keeps time', { skip: needSox }, async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  // A private server (stopping it disturbs no other test), with its own 1 kHz tone.
  const { env, run, stop } = privateServer('server3')
  // When the server comes back, pcmtap may reconnect before the tone flows: the server's own
  // silence then adjoins the written gap. `toneLag` bounds it: from the server's start until the
  // tone is playing (PipeWire's tone-start waits for its stream; measured up to ~0.35 s).
  let toneLag = 0
  const serverUp = () => {
    const t0 = performance.now()
    run('start')
    run('tone-start', '1000')
    toneLag = (performance.now() - t0) / 1000
  }
  serverUp()
  t.after(() => stop())
  const file = out('reconnect.wav')
  let away = null
  const killServer = () => {
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0
    if (size < 44 + 48000 * 4) return void setTimeout(killServer, 50) // 1 s recorded first
    stop()
    away = performance.now()
    setTimeout(() => {
      serverUp()
      away = performance.now() - away
    }, 1000)
  }
  const r = await cliAsync(['record', file, '--reconnect', '--seconds', '5'], { env, onStart: killServer })
  assert.equal(r.status, 0, childReport(r))
  assert.ok(away > 900, `the server was away ${away} ms`)
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('pcmtap:'))
  assert.equal(ours.length, 2, r.stderr)
  assert.match(ours[0], /^pcmtap: DEVICE_LOST: .*; waiting for it to come back$/)
  assert.match(ours[1], /^pcmtap: back after \d+\.\d\d s \(\d+ attempts?\); the gap is written as silence$/)
  const silence = Number(/reconnects 1 \((\d+\.\d\d) s of silence written for the gaps\)/.exec(r.stdout)?.[1])
  assert.ok(silence > 0.9 && silence < 3, `silence ${silence} s\n${r.stdout}`)
  // Exactly the 5 s asked for, the gap included, and the header accounts for every byte.
  const info = soxInfo(file)
  assert.equal(info.seconds, 5, `duration ${info.seconds}`)
  assert.equal(fs.statSync(file).size, 44 + 5 * 48000 * 4)
  // Tone, then a stretch of exact silence as long as the summary says, then the tone again.
  const x = soxSamples(file)
  const zeroRuns = []
  for (let i = 0, run = 0; i <= x.length; i++) {
    if (i < x.length && x[i] === 0) run++
    else {
      if (run > 4800) zeroRuns.push({ end: i, frames: run })
      run = 0
    }
  }
  assert.equal(zeroRuns.length, 1, `one silent gap: ${JSON.stringify(zeroRuns)}`)
  // At least the gap written (less the tone's own zero crossings touching it), at most that plus
  // the server's silence before the tone (toneLag, plus 0.25 s for the tone stream's latency).
  const gap = zeroRuns[0].frames / 48000
  assert.ok(gap > silence - 0.15 && gap < silence + toneLag + 0.25, `a zero run of ${gap.toFixed(3)} s against ${silence} s written and a tone ${toneLag.toFixed(3)} s after the server's start`)
  const before = analyze(x.subarray(4800, zeroRuns[0].end - zeroRuns[0].frames - 480), 48000)
  const after = analyze(x.subarray(zeroRuns[0].end + 4800), 48000)
  for (const [name, a] of [['before', before], ['after', after]]) {
    assert.ok(Math.abs(a.frequency - 1000) <= 5, `${name} the gap: frequency ${a.frequency}`)
  }
})

test('a TTY gets one live status line: elapsed, peak and RMS dBFS, bar, packets, drops, pool hits', { skip: spawnSync('script', ['--version']).status !== 0 && 'script(1) (util-linux) is missing' }, () => {
  const file = out('tty.wav')
  const cmd = `'${process.execPath}' '${BIN}' record '${file}' --synthetic --seconds 1`
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { cwd: work, encoding: 'utf8', timeout: 30_000 })
  assert.equal(r.status, 0, childReport(r))
  const lines = r.stdout.split('\r').filter((l) => l.includes('REC '))
  assert.ok(lines.length >= 3, `status updates: ${lines.length}\n${r.stdout}`)
  assert.match(lines.at(-1), /REC 00:0\d\.\d {2}peak {1,3}-6\.0 dBFS {2}RMS {1,3}-9\.0 dBFS \[#+-*\] {2}packets \d+ {2}drops 0 {2}pool hits 100\.0%/)
  assert.match(r.stdout, /Wrote .*tty\.wav: 1\.00 s/)
})

test('devices lists the test server\'s monitor (table and JSON)', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  let r = cli(['devices', '--host', 'pulseaudio'])
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /^ID +NAME +KIND +DEFAULT +CONFIG$/m)
  assert.match(r.stdout, /^pulseaudio:pcmtap_test\.monitor +.* monitor +yes +48000 Hz 2 ch \w+$/m)
  r = cli(['devices', '--host', 'pulseaudio', '--json'])
  assert.equal(r.status, 0, childReport(r))
  const list = JSON.parse(r.stdout)
  const mon = list.find((d) => d.id === 'pulseaudio:pcmtap_test.monitor')
  assert.ok(mon, r.stdout)
  assert.equal(mon.kind, 'monitor')
})

test('a capture error exits 1 with one line naming its code, and leaves no file', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const file = out('nodevice.wav')
  const r = cli(['record', file, '--host', 'pulseaudio', '--device', 'no-such-device-xyz', '--seconds', '1'])
  assert.equal(r.status, 1, childReport(r))
  const ours = r.stderr.split('\n').filter((l) => l.startsWith('pcmtap:'))
  assert.equal(ours.length, 1, r.stderr)
  assert.match(ours[0], /^pcmtap: DEVICE_NOT_FOUND: /)
  assert.equal(fs.existsSync(file), false)
})

test('an output file that cannot be created exits 1 with one line', () => {
  const r = cli(['record', out('no/such/dir/x.wav'), '--synthetic', '--seconds', '1'])
  assert.equal(r.status, 1, childReport(r))
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^pcmtap: ENOENT: no such file or directory, open /)
})

test('npm run demo records the default input when there is one', { skip: needSox }, async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const mod = await tone({ frequency: 440 })
  const file = out('demo-device.wav')
  let r
  try {
    r = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'demo.js'), file], { cwd: work, encoding: 'utf8', timeout: 60_000 })
  } finally {
    await unloadModule(mod)
  }
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /source {5}\S*pcmtap_test\.monitor /, "the server's default source")
  assert.doesNotMatch(r.stdout, /synthetic/)
  assert.ok(Math.abs(soxInfo(file).seconds - 5) <= 0.1)
})

test('npm run demo with no sound server says so and records the synthetic tone', { skip: needSox }, () => {
  const file = out('demo-synthetic.wav')
  const env = { ...process.env, PULSE_SERVER: `unix:${out('no-such-server')}` }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'examples', 'demo.js'), file], { cwd: work, env, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /No usable input device or sound server here \([A-Z_]+: .*\)\.\nRecording pcmtap's synthetic 1 kHz tone instead/)
  assert.match(r.stdout, /source {5}synthetic 1 kHz tone/)
  const info = soxInfo(file)
  assert.ok(Math.abs(info.seconds - 5) <= 0.1)
  assert.ok(Math.abs(analyze(soxSamples(file), 48000).frequency - 1000) <= 5)
})
