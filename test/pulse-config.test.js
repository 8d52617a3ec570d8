'use strict'
// The libpulse client configuration pcmtap gives the ALSA `pulse` plugin's connections
// (src/capture/pulse_conf.rs): shared memory off, the user's own client.conf still applied, one
// file per user in a private directory (never one per process), and the opt-outs respected.
// Each case runs a capture in a child process (the setting is per process) against the test
// server with a 1 kHz tone playing.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ensureAudioServer, skipReason, tone, unloadModule } = require('./audio-server')
const { runChild, childReport } = require('./helpers')

const server = ensureAudioServer()

// Captures 20 packets on the default device; prints what the process environment and the
// configuration file say afterwards, and the RMS heard.
const CHILD = `
  const fs = require('node:fs')
  const { Capture } = require('.')
  const cap = new Capture({})
  let n = 0, sum = 0, count = 0, device
  cap.on('data', (b) => {
    if (n === 0) device = cap.stats().device
    if (++n > 5) for (let i = 0; i < b.length; i += 2) { const s = b.readInt16LE(i) / 32768; sum += s * s; count++ }
    cap.release(b)
    if (n === 20) cap.close().then(report)
  })
  cap.on('error', (e) => { console.log(JSON.stringify({ error: e.code + ' ' + e.message })); process.exit(0) })
  function report() {
    const conf = process.env.PULSE_CLIENTCONFIG
    const st = conf && fs.statSync(require('node:path').dirname(conf))
    console.log(JSON.stringify({
      conf: conf ?? null,
      text: conf && fs.existsSync(conf) ? fs.readFileSync(conf, 'utf8') : null,
      dirMode: st ? st.mode & 0o777 : null,
      rms: Math.sqrt(sum / count),
      device: device.host + ' ' + device.id,
      perPid: fs.existsSync(require('node:os').tmpdir() + '/pcmtap-' + process.pid + '-client.conf'),
    }))
  }
  cap.start()
`

function scratch(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-pulseconf-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function run(t, env) {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const handle = await tone()
  t.after(() => unloadModule(handle))
  const r = runChild(CHILD, { env: { PULSE_CLIENTCONFIG: undefined, PCMTAP_PULSE_SHM: undefined, ...env }, timeout: 30_000 })
  assert.equal(r.status, 0, childReport(r))
  const out = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.equal(out.error, undefined, childReport(r))
  assert.ok(out.rms > 0.3 && out.rms < 0.4, `the tone (RMS 0.354) through ${out.device}, heard ${out.rms}`)
  return out
}

test('shared memory off through one private file per user, not one per process', async (t) => {
  const runtime = scratch(t)
  const first = await run(t, { XDG_RUNTIME_DIR: runtime })
  if (!first) return
  assert.equal(path.dirname(first.conf), path.join(runtime, 'pcmtap'))
  assert.equal(first.dirMode, 0o700)
  assert.match(first.text, /^enable-shm = no$/m)
  assert.equal(first.perPid, false)
  const second = await run(t, { XDG_RUNTIME_DIR: runtime })
  assert.equal(second.conf, first.conf, 'a second process reuses the file')
  assert.deepEqual(fs.readdirSync(path.join(runtime, 'pcmtap')), [path.basename(first.conf)])
})

test("the user's client.conf still applies (its default-server is where the audio comes from)", async (t) => {
  const dir = scratch(t)
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  fs.mkdirSync(path.join(dir, 'home/.config/pulse'), { recursive: true })
  const userConf = path.join(dir, 'home/.config/pulse/client.conf')
  // The server and cookie only here: without the include, libpulse would not find the server.
  fs.writeFileSync(userConf, `default-server = ${process.env.PULSE_SERVER}\ncookie-file = ${process.env.PULSE_COOKIE}\n`)
  const out = await run(t, {
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: undefined,
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
    PULSE_SERVER: undefined,
    PULSE_COOKIE: undefined,
  })
  assert.match(out.text, new RegExp(`^\\.include ${userConf.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'))
  assert.ok(out.text.indexOf('.include') < out.text.indexOf('enable-shm = no'), 'shm off comes last')
})

test('PCMTAP_PULSE_SHM=1 leaves the environment alone', async (t) => {
  const out = await run(t, { PCMTAP_PULSE_SHM: '1', XDG_RUNTIME_DIR: scratch(t) })
  if (!out) return
  assert.equal(out.conf, null)
})

test('a PULSE_CLIENTCONFIG the user set is used as is', async (t) => {
  const dir = scratch(t)
  const mine = path.join(dir, 'mine.conf')
  fs.writeFileSync(mine, 'enable-shm = no\n')
  const out = await run(t, { PULSE_CLIENTCONFIG: mine, XDG_RUNTIME_DIR: dir })
  if (!out) return
  assert.equal(out.conf, mine)
  assert.equal(out.text, 'enable-shm = no\n')
})
