'use strict'
// Valid input gets right answers and hostile input a clean error: each option read once,
// synthetic options only with the synthetic source, release() of any ArrayBufferView, and
// un-awaited stop() calls that leave the public emitter alone. Fault table: docs/faults.md
// (7, 8, 9, 10).
const test = require('node:test')
const assert = require('node:assert/strict')
const { Capture } = require('..')
const { closeAfter } = require('./helpers')

const T = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }
const V = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }

test('a device capture at 1000 Hz is accepted (no synthetic.frequency check for a device)', () => {
  for (const sampleRate of [1000, 1500, 2000]) new Capture({ sampleRate }).close()
})

test('synthetic options with a device source are an error, not silently ignored', () => {
  assert.throws(() => new Capture({ synthetic: { frequency: 440 } }), { ...V, message: /"synthetic"/ })
  assert.throws(() => new Capture({ source: 'device', synthetic: {} }), V)
})

test('sparse arrays are refused by the JS rules with the element named, never NATIVE_ERROR', () => {
  // eslint-disable-next-line no-sparse-arrays
  assert.throws(() => new Capture({ channelMap: [0, ,] }), { ...T, message: /"channelMap\[1\]"/ })
  assert.throws(() => new Capture({ source: 'synthetic', synthetic: { blockFrames: new Array(3) } }), { ...T, message: /"synthetic\.blockFrames\[0\]"/ })
  assert.throws(() => new Capture({ source: 'synthetic', synthetic: { blockFrames: new Array(2 ** 31) } }), V)
})

test('every option is read exactly once, and the value read is the value used', (t) => {
  const reads = {}
  const values = { source: 'synthetic', sampleRate: 16000, channels: 1, poolSize: 8, synthetic: { frequency: 100 } }
  const counted = new Proxy(values, {
    get(target, key) {
      reads[key] = (reads[key] || 0) + 1
      return target[key]
    },
  })
  const cap = closeAfter(t, new Capture(counted))
  assert.deepEqual(reads, { source: 1, sampleRate: 1, channels: 1, poolSize: 1, synthetic: 1 })
  assert.equal(cap.stats().pool.capacity, 8)
  cap.close()
  // A getter that changes type between reads: the first value is the one validated and used.
  let n = 0
  const flip = closeAfter(t, new Capture({ source: 'synthetic', get poolSize() { return n++ === 0 ? 4 : 'x' } }))
  assert.equal(n, 1)
  assert.equal(flip.stats().pool.capacity, 4)
  flip.close()
})

test('throwing getters, throwing Proxy traps and revoked Proxies get ERR_INVALID_ARG_*', () => {
  const boom = () => {
    throw new Error('boom')
  }
  const { proxy: revoked, revoke } = Proxy.revocable({}, {})
  revoke()
  const cases = [
    { get poolSize() { return boom() } },
    new Proxy({}, { ownKeys: boom }),
    new Proxy({ poolSize: 1 }, { get: boom }),
    revoked,
    { synthetic: revoked, source: 'synthetic' },
    { source: 'synthetic', synthetic: { blockFrames: new Proxy([1], { get: boom }) } },
    { channelMap: revoked },
    { signal: new Proxy({}, { getPrototypeOf: boom }) },
  ]
  for (const o of cases) {
    assert.throws(() => new Capture(o), (err) => {
      assert.ok(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE'].includes(err.code), `${err.code}: ${err.message}`)
      assert.ok(err instanceof TypeError)
      return true
    })
  }
})

test('release() takes any ArrayBufferView over a packet, a DataView included', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', synthetic: { waveform: 'counter' } }))
  await cap.start()
  const buf = await new Promise((r) => cap.once('data', r))
  cap.on('data', (b) => cap.release(b))
  assert.equal(cap.release(new DataView(buf.buffer, buf.byteOffset, buf.length)), true)
  assert.equal(buf.length, 0, 'detached')
  await cap.close()
})

test('un-awaited stop() calls add no listeners to the capture (no MaxListenersExceededWarning)', async (t) => {
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  const cap = closeAfter(t, new Capture({ source: 'synthetic' }))
  cap.on('data', (b) => cap.release(b))
  await cap.start()
  const stops = Array.from({ length: 50 }, () => cap.stop())
  assert.equal(cap.listenerCount('stop'), 0)
  await Promise.all(stops)
  await cap.close()
  await new Promise((r) => setImmediate(r))
  process.off('warning', onWarning)
  assert.deepEqual(warnings.map((w) => w.name), [])
})
