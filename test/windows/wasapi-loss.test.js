'use strict'
// The sound server dies under a WASAPI capture (Windows build under Wine; Linux side, run by
// `npm run test:windows`): without reconnect the capture ends with DEVICE_LOST and a stop; with
// reconnect it says 'disconnect', then 'reconnect' once the server is back, and the tone
// returns. Wine's winepulse reports no device-invalidated error for a vanished server (the
// stream only goes quiet), so what ends it here is pcmtap's stall rule (README "Windows").
const test = require('node:test')
const assert = require('node:assert/strict')
const { tone, unloadModule } = require('../audio-server')
const { ready, probe, audioServer } = require('./wine')


/** Stops the server (SIGTERM, then waits until it is gone); resolves the wall time (ms) the stop
 * began: the capture may hear of it before the server's process has exited. */
async function killServer() {
  const at = Date.now()
  await audioServer('stop')
  return at
}

test('the server stops under a WASAPI capture: DEVICE_LOST with its code, then stop, within the stall rule', async (t) => {
  if (!(await ready(t))) return
  await tone({ frequency: 1000 })
  const p = probe({ op: 'capture', options: {}, until: 'stop', maxMs: 20_000 })
  try {
    await p.waitFor('first-data')
    await new Promise((r) => setTimeout(r, 500))
    const gone = await killServer()
    const { result, report } = await p.done
    assert.ok(result, report)
    const error = result.events.find((e) => e.type === 'error')
    assert.ok(error, `no 'error' event\n${report}`)
    assert.equal(error.code, 'DEVICE_LOST', report)
    assert.equal(error.name, 'Error')
    assert.ok(result.events.some((e) => e.type === 'stop' && e.at >= error.at), report)
    // Two paths, both seen under Wine: winepulse fails the next read with
    // AUDCLNT_E_DEVICE_INVALIDATED (DEVICE_LOST at once), or the stream just goes quiet and the
    // stall rule ends it (3 s without a callback, plus the time to notice).
    const after = error.at - gone
    t.diagnostic(`DEVICE_LOST ${after} ms after the stop began: ${error.message}`)
    assert.match(error.message, /AUDCLNT_E_DEVICE_INVALIDATED|no audio from the device for 3 s/, report)
    assert.doesNotMatch(error.message, /FormatMessageW/, report)
    assert.ok(after >= 0 && after <= (/AUDCLNT/.test(error.message) ? 1500 : 8000), `${after} ms\n${report}`)
    assert.ok(Math.abs(result.before.frequency - 1000) <= 5, `frequency before the loss ${result.before.frequency}`)
  } finally {
    await p.done
    await audioServer('start')
  }
})

test('reconnect: the server stops and returns: disconnect, reconnect, the tone again, the gap flagged', async (t) => {
  if (!(await ready(t))) return
  await tone({ frequency: 1000 })
  const p = probe({ op: 'capture', options: { reconnect: { initialDelay: 200, maxDelay: 1000 } }, until: 'reconnect', maxMs: 40_000 })
  try {
    await p.waitFor('first-data')
    await new Promise((r) => setTimeout(r, 500))
    const gone = await killServer()
    const disconnect = await p.waitFor('disconnect', 15_000)
    await audioServer('start')
    const back = Date.now()
    await tone({ frequency: 1000 })
    const reconnect = await p.waitFor('reconnect', 20_000)
    const { result, report } = await p.done
    assert.ok(result, report)
    t.diagnostic(`disconnect ${disconnect.at - gone} ms after the stop, reconnect ${reconnect.at - back} ms after the restart`)
    assert.equal(disconnect.code, 'DEVICE_LOST', report)
    assert.equal(result.events.filter((e) => e.type === 'error').length, 0, report)
    assert.ok(reconnect.info && reconnect.info.attempts >= 1, JSON.stringify(reconnect))
    assert.ok(result.after, `no audio after the reconnect\n${report}`)
    assert.ok(Math.abs(result.after.frequency - 1000) <= 5, `frequency after ${result.after.frequency}`)
    assert.ok(Math.abs(result.after.rms - 0.3536) <= 0.3536 * 0.05, `RMS after ${result.after.rms}`)
    assert.ok(result.discontinuities >= 1, 'the gap is flagged on the first packet after it')
    assert.equal(result.stats.audio.disconnects, 1)
    assert.equal(result.stats.audio.reconnects, 1)
  } finally {
    await p.done
    await audioServer('start')
    await unloadModule('tone').catch(() => {})
  }
})
