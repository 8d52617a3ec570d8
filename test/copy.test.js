'use strict'
// Copy mode and the no-external-Buffers fallback (what Electron's V8 memory cage forces).
const test = require('node:test')
const assert = require('node:assert/strict')
const { Capture } = require('..')
const { collect, checkCounter, runChild, childReport, closeAfter } = require('./helpers')

test('useExternalBuffer: false copies every packet and frees the slot at once', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 4, useExternalBuffer: false, synthetic: { waveform: 'counter', paced: false } }))
  const packets = await collect(cap, 500, { release: false })
  checkCounter(packets, { channels: 2, format: 's16' })
  const s = cap.stats()
  assert.equal(s.mode, 'copy')
  assert.equal(s.delivery.copied, s.delivery.packets)
  assert.equal(s.delivery.external, 0)
  assert.equal(s.pool.misses, 0)
  assert.equal(s.pool.outstanding, 0, 'copied slots are free again')
  assert.equal(cap.release(packets[0].external), false, 'a copy cannot be released')
  cap.close()
})

test('a runtime that refuses external Buffers switches the capture to copy and says so', () => {
  const code = `
    const { Capture } = require('.')
    const { checkCounter } = require('./test/helpers')
    const cap = new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } })
    const packets = []
    cap.on('data', (buf, info) => {
      packets.push({ bytes: buf, info })
      if (cap.release(buf)) throw new Error('a copy was released')
      if (packets.length === 300) cap.stop()
    })
    cap.on('stop', () => {
      checkCounter(packets, { channels: 2, format: 's16' })
      console.log('STATS ' + JSON.stringify(cap.stats()))
      cap.close()
    })
    cap.start()`
  const r = runChild(code, { env: { PCMTAP_SIMULATE_NO_EXTERNAL_BUFFERS: '1' } })
  assert.equal(r.status, 0, childReport(r))
  const s = JSON.parse(/STATS (.*)/.exec(r.stdout)[1])
  assert.equal(s.mode, 'copy')
  assert.equal(s.externalBuffersAllowed, false)
  assert.equal(s.delivery.external, 0)
  assert.equal(s.delivery.copied, s.delivery.packets)
  assert.equal(s.pool.misses, 0)
})
