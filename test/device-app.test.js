'use strict'
// Per-application capture (Linux: PulseAudio 16.1, and PipeWire 0.3.65 through pipewire-pulse):
// `application: { pid } | { name }` hears that application only, follows its streams as they
// come and go (mixed when several play, silence at the clock's pace when none does), ends with
// APPLICATION_EXITED when it exits; `loopback: { exclude }` hears everything else. A private
// server; each "application" is a process (`sleep`) whose players are pacat processes carrying
// its pid (PULSE_PROP), so one application can hold several streams, as browsers do.
const fs = require('node:fs')

require('./audio-server').ownServerDir('pcmtap-audio-app-')

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const { once } = require('node:events')
const { ensureAudioServer, skipReason } = require('./audio-server')
const { recorder, waitFor, sleep, amplitude } = require('./device-tones')
const { listApplications } = require('..')
const { out, needSox, cli, cliAsync, soxSamples } = require('./cli-helpers')
const { analyze, rmsProfile } = require('./signal')

const server = ensureAudioServer()

/** An application `name`: a process of its own, and `play(hz)` starting a player (a stream) that
 * carries its pid and name. `stop()` ends its players, `exit()` the application itself. */
function application(t, name) {
  const proc = spawn('sleep', ['600'], { stdio: 'ignore' })
  return withPlayers(t, name, proc.pid, () => proc.kill('SIGKILL'))
}

/** An application whose parent never reaps it: after exit() it stays a zombie (its /proc entry
 * there) until the parent (`sleep`) is killed at the test's end, as under a launcher slow to
 * wait for its children. */
async function unreapedApplication(t, name) {
  const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.after(() => parent.kill('SIGKILL'))
  const [line] = await once(parent.stdout, 'data')
  const pid = Number(String(line).trim())
  return withPlayers(t, name, pid, () => process.kill(pid, 'SIGKILL'))
}

function withPlayers(t, name, pid, kill) {
  const players = []
  const app = {
    pid,
    name,
    play(hz) {
      const env = { ...process.env, PULSE_PROP: `application.process.id=${pid}` }
      const p = spawn('sh', ['-c', `sox -q -n -t raw -r 48000 -c 2 -e signed -b 16 - synth 120 sine ${hz} vol 0.5 | exec pacat --raw --rate=48000 --channels=2 --format=s16le --latency-msec=30 --client-name="$1" -d pcmtap_test`, 'player', name], { env, stdio: 'ignore', detached: true })
      players.push(p)
      return p
    },
    stop() {
      for (const p of players.splice(0)) {
        try {
          process.kill(-p.pid, 'SIGKILL')
        } catch {}
      }
    },
    exit() {
      app.stop()
      try {
        kill()
      } catch {}
    },
  }
  t.after(() => app.exit())
  return app
}

/** Waits until listApplications() shows `app` with `streams` streams. */
async function listed(app, streams = 1) {
  const ok = await waitFor(() => listApplications().some((a) => a.pid === app.pid && a.streams === streams), 5000)
  assert.ok(ok, `${app.name} (pid ${app.pid}) with ${streams} stream(s) in ${JSON.stringify(listApplications())}`)
}

const whole = (ps) => ps.filter((p) => p.frames >= 256)
/** The share of whole packets whose `hz` component is the 0.5 tone. */
const share = (ps, key) => whole(ps).filter((p) => p[key] > 0.3).length / Math.max(1, whole(ps).length)
const never = (ps, key) => whole(ps).filter((p) => p[key] > 0.1)
const summary = (ps) => ps.slice(-5).map((p) => `440:${p.a440.toFixed(2)}/1000:${p.a1000.toFixed(2)}`).join(' ')

async function ready(t) {
  const srv = await server
  if (srv.ok) return true
  t.skip(skipReason(srv))
  return false
}

/** Two applications playing, A 440 Hz and B 1000 Hz, both listed. */
async function twoPlaying(t, prefix) {
  const a = application(t, `${prefix}-a`)
  const b = application(t, `${prefix}-b`)
  a.play(440)
  b.play(1000)
  await listed(a)
  await listed(b)
  return { a, b }
}

test('listApplications() shows each playing process with its pid, name, binary and streams', async (t) => {
  if (!(await ready(t))) return
  const { a, b } = await twoPlaying(t, 'pcmtap-app')
  const apps = listApplications()
  const mine = apps.find((x) => x.pid === a.pid)
  assert.deepEqual(mine, { pid: a.pid, name: 'pcmtap-app-a', binary: 'pacat', host: 'pulseaudio', streams: 1 })
  a.play(440)
  await listed(a, 2)
})

for (const by of ['pid', 'name']) {
  test(`application by ${by}: only that application's audio, at the clock's pace`, async (t) => {
    if (!(await ready(t))) return
    const { a, b } = await twoPlaying(t, `pcmtap-by-${by}`)
    const rec = recorder(t, { application: by === 'pid' ? { pid: a.pid } : { name: a.name } })
    await rec.cap.start()
    await sleep(3000)
    const s = rec.cap.stats()
    const after = rec.packets.slice(10)
    t.diagnostic(`${rec.packets.length} packets; ${summary(after)}; ${JSON.stringify(s.application)}`)
    assert.ok(share(after, 'a440') > 0.9, `A's 440 Hz: ${summary(after)}`)
    assert.deepEqual(never(after, 'a1000'), [], "never B's 1000 Hz")
    assert.equal(s.application.streams, 1)
    assert.deepEqual(s.application.pids, [a.pid])
    assert.equal(s.device, undefined, 'no device: an application')
    const elapsed = (performance.now() - rec.packets[0].at) / 1000
    const counted = (s.audio.frames + s.audio.droppedFrames) / 48000
    assert.ok(Math.abs(counted / elapsed - 1) < 0.02, `frames follow the clock: ${counted.toFixed(3)} s of ${elapsed.toFixed(3)} s`)
    assert.deepEqual(rec.events, [])
  })
}

test('the application opens a second stream (mixed in), stops them all (silence at the clock pace), plays again, then exits (APPLICATION_EXITED)', async (t) => {
  if (!(await ready(t))) return
  const a = application(t, 'pcmtap-follow-a')
  const b = application(t, 'pcmtap-follow-b')
  a.play(440)
  b.play(1000)
  await listed(a)
  const rec = recorder(t, { application: { pid: a.pid } })
  await rec.cap.start()
  await waitFor(() => share(rec.packets.slice(-20), 'a440') > 0.9, 3000)
  // A second stream of A, at 660 Hz: mixed in with the first.
  a.play(660)
  const second = performance.now()
  const mixed = (p) => p.frames >= 256 && p.a440 > 0.3 && amplitudeOf(p, 660) > 0.3
  assert.ok(await waitFor(() => rec.packets.some((p) => p.at > second && mixed(p)), 3000), `440 and 660 Hz mixed: ${summary(rec.packets)}`)
  const heard = rec.packets.find((p) => p.at > second && mixed(p)).at - second
  assert.equal(rec.cap.stats().application.streams, 2)
  // A stops playing: silence, and packets still come at the clock's pace.
  a.stop()
  const stopped = performance.now()
  assert.ok(await waitFor(() => rec.cap.stats().application.streams === 0, 3000), 'no stream left')
  await sleep(1000)
  const quiet = rec.packets.filter((p) => p.at > stopped + 300)
  assert.ok(quiet.length >= 60, `packets kept coming while A played nothing (${quiet.length} in ~0.7 s)`)
  assert.ok(quiet.every((p) => p.rms < 0.01), 'silence while A plays nothing, never B')
  assert.ok(rec.cap.stats().application.idleFrames >= 48000 * 0.5, 'the silence is counted')
  // A plays again.
  a.play(440)
  const again = performance.now()
  assert.ok(await waitFor(() => rec.packets.some((p) => p.at > again && p.frames >= 256 && p.a440 > 0.3), 3000), 'A again')
  const back = rec.packets.find((p) => p.at > again && p.frames >= 256 && p.a440 > 0.3).at - again
  t.diagnostic(`a new stream heard ${Math.round(heard)} ms after its player started, again ${Math.round(back)} ms after; ${JSON.stringify(rec.cap.stats().application)}`)
  assert.ok(rec.cap.running)
  // A exits: the capture ends with APPLICATION_EXITED, then 'stop'.
  a.exit()
  const exited = performance.now()
  assert.ok(await waitFor(() => rec.events.some((e) => e.e === 'stop'), 3000), `the capture ends: ${JSON.stringify(rec.events)}`)
  const err = rec.events.find((e) => e.e === 'error')
  assert.equal(err && err.code, 'APPLICATION_EXITED', JSON.stringify(rec.events))
  assert.match(err.message, /pcmtap-follow-a/)
  t.diagnostic(`APPLICATION_EXITED ${Math.round(err.at - exited)} ms after the exit`)
  assert.ok(err.at - exited < 2000)
  assert.deepEqual(never(rec.packets, 'a1000'), [], "never B's 1000 Hz")
})

test('an application that exited but is not reaped yet (a zombie) has exited: APPLICATION_EXITED', async (t) => {
  if (!(await ready(t))) return
  const a = await unreapedApplication(t, 'pcmtap-zombie-a')
  a.play(440)
  await listed(a)
  const rec = recorder(t, { application: { pid: a.pid } })
  await rec.cap.start()
  await waitFor(() => share(rec.packets.slice(-20), 'a440') > 0.9, 3000)
  a.exit()
  const exited = performance.now()
  assert.ok(await waitFor(() => rec.events.some((e) => e.e === 'stop'), 3000), `the capture ends: ${JSON.stringify(rec.events)}`)
  const stat = fs.readFileSync(`/proc/${a.pid}/stat`, 'utf8')
  assert.match(stat, /\) Z /, 'the application is still a zombie when the capture ends')
  const err = rec.events.find((e) => e.e === 'error')
  assert.equal(err && err.code, 'APPLICATION_EXITED', JSON.stringify(rec.events))
  t.diagnostic(`APPLICATION_EXITED ${Math.round(err.at - exited)} ms after the exit (the process a zombie)`)
})

/** The end (exclusive) of the last 10 ms window of `x` whose RMS is above `level`. */
function lastAbove(x, level) {
  for (let i = x.length - 480; i >= 0; i -= 480) {
    let sum = 0
    for (let j = i; j < i + 480; j++) sum += x[j] * x[j]
    if (Math.sqrt(sum / 480) > level) return i + 480
  }
  return 0
}

function amplitudeOf(p, hz) {
  return p[`a${hz}`] ?? 0
}

test('loopback: { exclude } hears every application but the excluded one', async (t) => {
  if (!(await ready(t))) return
  const { a, b } = await twoPlaying(t, 'pcmtap-ex')
  const rec = recorder(t, { loopback: { exclude: [a.pid] } })
  await rec.cap.start()
  await sleep(2000)
  const after = rec.packets.slice(10)
  assert.ok(share(after, 'a1000') > 0.9, `B's 1000 Hz: ${summary(after)}`)
  assert.deepEqual(never(after, 'a440'), [], "never A's 440 Hz")
  assert.deepEqual(rec.cap.stats().application.pids, [])
  // Excluding keeps going whatever the applications do.
  b.exit()
  await sleep(800)
  assert.ok(rec.cap.running)
  assert.deepEqual(rec.events, [])
})

test('an application that is not there: APPLICATION_NOT_FOUND at start(), naming those playing', async (t) => {
  if (!(await ready(t))) return
  const a = application(t, 'pcmtap-nf-a')
  a.play(440)
  await listed(a)
  const { Capture } = require('..')
  for (const application of [{ name: 'no-such-application' }, { pid: 2 ** 31 - 1 }]) {
    const cap = new Capture({ application })
    t.after(() => cap.close())
    await assert.rejects(cap.start(), (err) => {
      assert.equal(err.code, 'APPLICATION_NOT_FOUND')
      assert.match(err.message, /pcmtap-nf-a \(pid \d+\)/)
      return true
    })
  }
})

test('pcmtap apps lists it; pcmtap record --app records only it, and ends (exit 0) when it exits', { skip: needSox }, async (t) => {
  if (!(await ready(t))) return
  const { a, b } = await twoPlaying(t, 'pcmtap-cli')
  const listing = cli(['apps', '--json'])
  assert.equal(listing.status, 0, listing.stderr)
  assert.ok(JSON.parse(listing.stdout).some((x) => x.pid === a.pid && x.name === a.name), listing.stdout)
  const table = cli(['apps'])
  assert.match(table.stdout, new RegExp(`^${a.pid}\\s+pcmtap-cli-a\\s+pacat\\s+1$`, 'm'), table.stdout)
  const file = out('app.wav')
  // A exits once 1.5 s are written: the recording ends there, complete.
  const exitAfter = () => {
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0
    if (size < 44 + 48000 * 4 * 1.5) return void setTimeout(exitAfter, 50)
    a.exit()
  }
  const r = await cliAsync(['record', file, '--app', String(a.pid), '--seconds', '10'], { onStart: exitAfter })
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`)
  assert.match(r.stderr, /^pcmtap: the application pcmtap-cli-a exited: recording ended$/m)
  assert.match(r.stdout, /\(the application exited\)/)
  assert.match(r.stdout, new RegExp(`source {5}application pcmtap-cli-a \\(pid ${a.pid}\\): 1 stream recorded`))
  const x = soxSamples(file)
  const seconds = x.length / 48000
  assert.ok(seconds > 1.4 && seconds < 3, `${seconds} s written before the exit`)
  // A's tone, whole, up to its exit; then silence at the clock's pace until the exit is seen (the
  // players end first): a tail, measured, never a gap inside the tone.
  const end = lastAbove(x, 0.1)
  const tail = (x.length - end) / 48000
  t.diagnostic(`${seconds.toFixed(2)} s written; ${(tail * 1000).toFixed(0)} ms of silence after A's last sound`)
  const tone = analyze(x.subarray(4800, end - 480), 48000)
  const profile = `RMS per 100 ms: ${rmsProfile(x, 48000)}`
  assert.ok(Math.abs(tone.frequency - 440) < 5 && Math.abs(tone.rms - 0.3536) < 0.02, `A's 440 Hz alone: ${JSON.stringify(tone)}; ${profile}`)
  assert.ok(tail < 1, `the recording ends within 1 s of A's exit: ${profile}`)
})
