'use strict'
// `pcmtap record` of the default device while the default changes: one line says so, the
// recording follows the new default, the switch's gap is written as silence so the file keeps
// time, and the summary counts the change. A private server (its default is changed here).
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const { childReport } = require('./helpers')
const { ensureAudioServer, skipReason, serverMode } = require('./audio-server')
const { out, needSox, cliAsync, soxInfo, soxSamples, privateServer } = require('./cli-helpers')
const { analyze } = require('./signal')

const server = ensureAudioServer()

for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: record follows the default source: one line, the new default's tone, the file keeps time`, { skip: needSox }, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const { env, run, stop } = privateServer(`follow-${host}`)
    run('start')
    t.after(() => stop())
    run('tone-start', '1000')
    const pactl = (...args) => {
      const r = spawnSync('pactl', args, { env, encoding: 'utf8' })
      assert.equal(r.status, 0, `pactl ${args.join(' ')}: ${r.stderr}`)
      return r.stdout.trim()
    }
    // A second sink playing 440 Hz (with the test server's latency pin on PulseAudio).
    pactl('load-module', 'module-null-sink', 'sink_name=pcmtap_other', 'rate=48000', 'channels=2')
    if (serverMode === 'pulseaudio') {
      pactl('load-module', 'module-loopback', 'source=pcmtap_pin', 'sink=pcmtap_other', 'latency_msec=10', 'source_dont_move=true', 'sink_dont_move=true')
      pactl('suspend-sink', 'pcmtap_other', '1')
      pactl('suspend-sink', 'pcmtap_other', '0')
    }
    const player = spawn('sh', ['-c', 'sox -q -n -t raw -r 48000 -c 2 -e signed -b 16 - synth 60 sine 440 vol 0.5 | exec pacat --raw --rate=48000 --channels=2 --format=s16le --latency-msec=30 -d pcmtap_other'], { env, stdio: 'ignore', detached: true })
    t.after(() => {
      try {
        process.kill(-player.pid, 'SIGKILL')
      } catch {}
    })
    const file = out(`follow-${host}.wav`)
    const switchAfter = (child) => {
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0
      if (size < 44 + 48000 * 4) return void setTimeout(switchAfter, 50, child) // 1 s recorded first
      pactl('set-default-source', 'pcmtap_other.monitor')
    }
    const r = await cliAsync(['record', file, '--host', host, '--seconds', '4'], { env, onStart: switchAfter })
    assert.equal(r.status, 0, childReport(r))
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('pcmtap:'))
    assert.equal(ours.length, 1, r.stderr)
    assert.match(ours[0], /^pcmtap: the default device changed: now recording '.*' \(.*pcmtap_other\.monitor"?\), before '.*' \(.*pcmtap_test\.monitor"?\)$/)
    // The switch's gap is written as silence; on PipeWire the new stream's first block may start
    // before the old one's end (no gap, nothing written).
    assert.match(r.stdout, /default device changes 1( \(\d+\.\d\d s of silence written for the gaps\))?$/m, r.stdout)
    // Exactly the 4 s asked for, the gap included.
    assert.equal(soxInfo(file).seconds, 4)
    const x = soxSamples(file)
    const first = analyze(x.subarray(0, 48000 * 0.8), 48000)
    const last = analyze(x.subarray(48000 * 2.5), 48000)
    t.diagnostic(`before ${JSON.stringify(first)}; after ${JSON.stringify(last)}`)
    assert.ok(Math.abs(first.frequency - 1000) < 20, `the default's 1000 Hz first: ${JSON.stringify(first)}`)
    assert.ok(Math.abs(last.frequency - 440) < 20, `the new default's 440 Hz at the end: ${JSON.stringify(last)}`)
  })
}
