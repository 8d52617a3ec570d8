'use strict'
// The default device is the server's default source, however the server answers: a server
// that drops pcmtap's first connections (as one still starting, or one under load, can) is
// asked again, never replaced by ALSA's `default` PCM; a server that accepts connections but
// never answers is an error that says so. Checked through a Unix-socket proxy in front of the
// private test server (scripts/audio-server.sh) that closes its first N connections.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { ensureAudioServer, skipReason } = require('./audio-server')
const { ROOT, childReport } = require('./helpers')

const server = ensureAudioServer()

/** A proxy on a new socket path: closes the first `drop` connections (or all with
 * `drop: Infinity`), forwards the others to the test server. */
async function flakyProxy(t, drop) {
  const target = process.env.PULSE_SERVER.replace(/^unix:/, '')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-proxy-'))
  const sock = path.join(dir, 'native')
  let seen = 0
  const proxy = net.createServer((c) => {
    if (seen++ < drop) return void c.destroy()
    const up = net.connect(target)
    c.pipe(up).pipe(c)
    const end = () => (c.destroy(), up.destroy())
    c.on('error', end).on('close', end)
    up.on('error', end).on('close', end)
  })
  await new Promise((r) => proxy.listen(sock, r))
  t.after(() => {
    proxy.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { sock, connections: () => seen }
}

/** Runs `code` in a child whose PULSE_SERVER is `sock` (async: the proxy lives in this process). */
function child(code, sock) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['-e', code], { cwd: ROOT, env: { ...process.env, PULSE_SERVER: `unix:${sock}` } })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000)
    c.on('close', (status, signal) => (clearTimeout(timer), resolve({ status, signal, stdout, stderr })))
  })
}

const DEFAULTS = `
  const { Capture, defaultDevice, listDevices } = require('.')
  const out = {}
  out.listed = listDevices().filter((d) => d.isDefault).map((d) => d.id)
  out.default = defaultDevice()?.id ?? null
  const cap = new Capture({ bufferFrames: 1024 })
  cap.start().then(async () => {
    out.capture = cap.stats().device.id
    await cap.close()
    console.log(JSON.stringify(out))
  }, (e) => { console.log(JSON.stringify({ ...out, error: e.code, message: e.message })) })
`

for (const host of ['alsa', 'pulseaudio']) {
  test(`${host} host: a server that drops the first connection still gives its default source, in listDevices(), defaultDevice() and a capture`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const { sock, connections } = await flakyProxy(t, 1)
    const code = DEFAULTS.replace(/listDevices\(\)/, `listDevices({ host: '${host}' })`).replace('defaultDevice()', `defaultDevice({ host: '${host}' })`).replace('new Capture({', `new Capture({ host: '${host}', `)
    const r = await child(code, sock)
    assert.equal(r.status, 0, childReport(r))
    const out = JSON.parse(r.stdout)
    const want = host === 'alsa' ? 'alsa:pulse:DEVICE=pcmtap_test.monitor' : 'pulseaudio:pcmtap_test.monitor'
    assert.ok(connections() >= 2, `the proxy saw ${connections()} connections`)
    assert.deepEqual(out, { listed: [want], default: want, capture: want }, childReport(r))
  })
}

test('a server that accepts connections but never answers: HOST_UNAVAILABLE naming it, not ALSA\'s default', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const { sock } = await flakyProxy(t, Infinity)
  const r = await child(
    `const { Capture, listDevices } = require('.')
     let listing
     try { listDevices(); listing = 'listed' } catch (e) { listing = e.code + ': ' + e.message }
     new Capture().start().then(() => console.log(JSON.stringify({ listing, started: true })),
       (e) => console.log(JSON.stringify({ listing, code: e.code, message: e.message })))`,
    sock,
  )
  assert.equal(r.status, 0, childReport(r))
  const out = JSON.parse(r.stdout)
  assert.match(out.listing, /^HOST_UNAVAILABLE: .*sound server.*does not answer/, childReport(r))
  assert.equal(out.code, 'HOST_UNAVAILABLE', childReport(r))
  assert.ok(out.message.includes(sock), `the message names the socket: ${out.message}`)
})

// `'default'` means one thing: the device listDevices() marks isDefault (before, on the `alsa`
// host it opened ALSA's `default` PCM, `alsa:default`); `{ id }` is an exact id only (before,
// `{ id: 'pcmtap_pin' }` opened `alsa:pulse:DEVICE=pcmtap_pin` by the server's name).
for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: device 'default' opens the isDefault device; { id } matches ids only`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const { Capture, listDevices } = require('..')
    const { closeAfter } = require('./helpers')
    const want = listDevices({ host }).find((d) => d.isDefault)
    assert.ok(want, 'the server marks a default source')
    const cap = closeAfter(t, new Capture({ host, device: 'default' }))
    await cap.start()
    assert.equal(cap.stats().device.id, want.id)
    await cap.close()
    await assert.rejects(closeAfter(t, new Capture({ host, device: { id: 'pcmtap_pin' } })).start(), (e) => e.code === 'DEVICE_NOT_FOUND' && /no device with id 'pcmtap_pin'/.test(e.message))
    const pin = listDevices({ host }).find((d) => d.id.endsWith('pcmtap_pin'))
    const byId = closeAfter(t, new Capture({ host, device: { id: pin.id } }))
    await byId.start()
    assert.equal(byId.stats().device.id, pin.id)
    await byId.close()
    // A name still opens by name.
    const byName = closeAfter(t, new Capture({ host, device: 'pcmtap_pin' }))
    await byName.start()
    assert.equal(byName.stats().device.id, pin.id)
    await byName.close()
  })
}
