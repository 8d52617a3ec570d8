'use strict'
// An explicitly chosen source that the server removes is never replaced by another: PulseAudio
// and PipeWire's pulse server move a record stream whose source goes away to their default
// source, and pcmtap used to keep recording that other device without a word (`running` true,
// `stats().device` naming the removed source). Now the capture ends with DEVICE_LOST within 1 s
// (with `reconnect`: 'disconnect', a wait for that same source, 'reconnect' when it is back).
// A private server (this file changes what plays on it): the default sink plays 1000 Hz, a null
// sink 440 Hz; that sink's monitor is captured by its listed id; every packet must be 440 Hz,
// before the removal and after the return (1000 Hz would be the default, moved to).
// Both Linux hosts, on a server of either mode (`npm run test:devices:pipewire`).

require('./audio-server').ownServerDir('pcmtap-audio-removed-')

const test = require('node:test')
const assert = require('node:assert/strict')
const { ensureAudioServer, skipReason, pactl, tone } = require('./audio-server')
const { toneSink, recorder, waitFor, sleep } = require('./device-tones')

const server = ensureAudioServer().then(async (s) => (s.ok ? (await tone({ frequency: 1000 }), s) : s))

// A packet of the tone: 440 Hz, RMS 0.354.
// Packets are 10 ms (480 frames) or more; zero crossings over 10 ms tell 440 Hz from 1000 Hz
// (±100 Hz). A short last packet is judged by RMS only.
const isTone = (m, frames) => Math.abs(m.rms / 0.3536 - 1) < 0.25 && (frames < 256 || Math.abs(m.hz - 440) < 150)

// Content faster than the 440 Hz tone: another source's audio (the 1000 Hz default), whole or
// mixed in. A player underrun on a loaded machine only cuts the tone short (fewer crossings,
// less RMS): that is the source's own audio, not another device's.
const isForeign = (p) => p.frames >= 256 && p.rms > 0.05 && p.hz > 560
/** The share of whole packets in `ps` that are the tone. */
const toneShare = (ps) => ps.filter((p) => isTone(p, p.frames)).length / Math.max(1, ps.length)

/** Packets that are not the tone, from the first tone packet on (a new sink is silent until its
 * player's first fragment arrives). */
function wrongPackets(rec, from = 0) {
  const first = rec.packets.findIndex((p, i) => i >= from && isTone(p, p.frames))
  return first < 0 ? rec.packets.slice(from) : rec.packets.slice(first).filter((p) => !isTone(p, p.frames))
}

for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: the captured source is removed: DEVICE_LOST within 1 s, nothing from another device`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const name = `pcmtap_rm_${host}`
    const remove = await toneSink(t, name)
    const { listDevices } = require('..')
    const dev = listDevices({ host }).find((d) => d.id.endsWith(`${name}.monitor`) || d.id.endsWith(`${name}.monitor"`))
    assert.ok(dev, `${name}.monitor is listed`)
    const rec = recorder(t, { host, device: dev.id })
    const t0 = performance.now()
    await rec.cap.start()
    t.diagnostic(`start() ${Math.round(performance.now() - t0)} ms, first packet ${rec.packets.length ? 0 : await waitFor(() => rec.packets.length > 0, 5000).then(() => Math.round(performance.now() - t0))} ms`)
    await waitFor(() => rec.packets.length >= 30, 5000)
    const removedAt = performance.now()
    await remove()
    const ended = await waitFor(() => rec.events.some((e) => e.e === 'error'), 3000)
    await sleep(300)
    const err = rec.events.find((e) => e.e === 'error')
    const wrong = wrongPackets(rec)
    t.diagnostic(`${rec.packets.length} packets; error ${err ? `${err.code} ${Math.round(err.at - removedAt)} ms after the unload began` : 'none'}; ${rec.packets.filter((p) => p.at > removedAt).length} packets after it; wrong ${JSON.stringify(wrong.slice(0, 3))}`)
    assert.ok(ended && err.code === 'DEVICE_LOST', `DEVICE_LOST, not silence or another device: ${JSON.stringify(rec.events)}`)
    assert.ok(err.at - removedAt < 1000, `within 1 s (${Math.round(err.at - removedAt)} ms)`)
    assert.equal(rec.cap.running, false)
    // Never another device's audio; the source's own end may be the tone cut short by silence.
    assert.deepEqual(rec.packets.filter(isForeign), [], "nothing of another source (the default's 1000 Hz)")
    const before = rec.packets.filter((p) => p.at < removedAt).slice(3)
    assert.ok(toneShare(before) > 0.8, `the tone until the removal: ${JSON.stringify(wrong.filter((p) => p.at < removedAt))}`)
  })

  test(`${host}, reconnect: the captured source is removed and comes back: 'disconnect', then that source again, never another`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const name = `pcmtap_rr_${host}`
    let remove = await toneSink(t, name)
    const { listDevices } = require('..')
    const dev = listDevices({ host }).find((d) => d.id.includes(`${name}.monitor`))
    const rec = recorder(t, { host, device: dev.id, reconnect: { initialDelay: 100, maxDelay: 200 } })
    await rec.cap.start()
    await waitFor(() => rec.packets.length >= 30, 5000)
    const removedAt = performance.now()
    await remove()
    assert.ok(await waitFor(() => rec.events.some((e) => e.e === 'disconnect'), 3000), `'disconnect': ${JSON.stringify(rec.events)}`)
    const lostAt = rec.events.find((e) => e.e === 'disconnect').at
    const countAtLoss = rec.packets.length
    await sleep(800) // away: the server would have moved the stream to its default source
    const away = rec.packets.length - countAtLoss
    remove = await toneSink(t, name)
    const backAt = performance.now()
    assert.ok(await waitFor(() => rec.events.some((e) => e.e === 'reconnect'), 5000), `'reconnect': ${JSON.stringify(rec.events)}`)
    await waitFor(() => rec.packets.length >= countAtLoss + away + 30, 5000)
    const back = rec.events.find((e) => e.e === 'reconnect').at
    t.diagnostic(JSON.stringify(rec.events))
    t.diagnostic(`'disconnect' ${Math.round(lostAt - removedAt)} ms after the unload began; ${away} packets while away; 'reconnect' ${Math.round(back - backAt)} ms after the sink was back`)
    assert.ok(lostAt - removedAt < 1000, `'disconnect' within 1 s (${Math.round(lostAt - removedAt)} ms)`)
    assert.ok(away <= 1, `nothing recorded while the source was away (${away} packets)`)
    assert.deepEqual(rec.events.filter((e) => e.e === 'error'), [])
    assert.deepEqual(rec.packets.filter(isForeign), [], "nothing of another source (the default's 1000 Hz)")
    const returned = rec.packets.slice(countAtLoss + away)
    const firstTone = returned.findIndex((p) => isTone(p, p.frames))
    assert.ok(firstTone >= 0 && toneShare(returned.slice(firstTone)) > 0.8, `the tone again after the return: ${JSON.stringify(wrongPackets(rec, countAtLoss + away).slice(0, 5))}`)
    assert.ok(toneShare(rec.packets.filter((p) => p.at < removedAt).slice(3)) > 0.8, 'the tone until the removal')
    await rec.cap.close()
  })
}

// PulseAudio moves a stream whose source was the default when the default changes (measured:
// `pactl list source-outputs` shows pcmtap's stream on the new default), explicit or not;
// PipeWire keeps an explicit target. Either way the capture never records the new default:
// it ends with DEVICE_LOST (with `reconnect`: 'disconnect', then the same source again), or it
// keeps its own source.
for (const host of ['alsa', 'pulseaudio']) {
  for (const reconnect of [false, true]) {
    test(`${host}${reconnect ? ', reconnect' : ''}: the default moves away from the captured source: never the new default's audio`, async (t) => {
      const srv = await server
      if (!srv.ok) return t.skip(skipReason(srv))
      const name = `pcmtap_mv_${host}_${reconnect ? 'r' : 'p'}`
      await toneSink(t, name)
      await pactl('set-default-source', `${name}.monitor`)
      t.after(() => pactl('set-default-source', 'pcmtap_test.monitor').catch(() => {}))
      const { listDevices } = require('..')
      const dev = listDevices({ host }).find((d) => d.id.includes(`${name}.monitor`))
      const rec = recorder(t, { host, device: dev.id, ...(reconnect ? { reconnect: { initialDelay: 100, maxDelay: 200 } } : {}) })
      await rec.cap.start()
      await waitFor(() => rec.packets.filter((p) => isTone(p, p.frames)).length >= 20, 8000)
      const movedAt = performance.now()
      await pactl('set-default-source', 'pcmtap_test.monitor')
      await sleep(1500)
      const first = rec.events[0]
      t.diagnostic(`events ${JSON.stringify(rec.events.map((e) => ({ e: e.e, ms: Math.round(e.at - movedAt), code: e.code, message: e.message })))}; ${rec.packets.length} packets; running ${rec.cap.running}`)
      // The move is seen from the server's change event (then asked): under load one packet of
      // the new default, mixed in, came before the loss (hz 571, 65 ms; README says so). Never
      // more than that packet.
      const foreign = rec.packets.filter(isForeign)
      assert.ok(foreign.length <= 1, `at most the one packet in flight of the new default's 1000 Hz: ${JSON.stringify(foreign)}`)
      if (first) {
        assert.equal(first.code, 'DEVICE_LOST', JSON.stringify(first))
        assert.equal(first.e, reconnect ? 'disconnect' : 'error')
        assert.ok(first.at - movedAt < 1000, `within 1 s (${Math.round(first.at - movedAt)} ms)`)
        if (reconnect) assert.ok(rec.events.some((e) => e.e === 'reconnect'), "back on the same source: 'reconnect'")
      } else {
        assert.equal(rec.cap.running, true, 'no event: still capturing its own source')
      }
      if (rec.cap.running) {
        const last = rec.packets.slice(-20)
        assert.ok(toneShare(last) > 0.8, `its own tone at the end: ${JSON.stringify(last)}`)
      }
    })
  }
}
