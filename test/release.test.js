'use strict'
// release(): what it accepts, what it refuses, and proof by counters that slots come back.
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const { setImmediate: tick } = require('node:timers/promises')
const { Capture } = require('..')
const { closeAfter } = require('./helpers')

/** The first `n` packets' Buffers, unreleased; resolves once the capture has stopped. */
function firstPackets(cap, n) {
  return new Promise((resolve) => {
    const got = []
    const onData = (buf) => {
      if (got.length < n) got.push(buf)
      else cap.release(buf)
      if (got.length === n && cap.running) cap.stop()
    }
    cap.on('data', onData)
    cap.once('stop', () => {
      cap.off('data', onData)
      resolve(got)
    })
    cap.start()
  })
}

test('release() detaches our Buffer and its slot returns on a later turn', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, synthetic: { waveform: 'counter', paced: false } }))
  const [buf] = await firstPackets(cap, 1)
  assert.equal(buf.length, 1920)
  await tick() // let the finalizers of the other packets (released by firstPackets) run
  await tick()
  const before = cap.stats()
  assert.equal(cap.release(buf), true)
  assert.equal(buf.length, 0, 'a released Buffer has length 0')
  assert.equal(buf[0], undefined, 'reads after release see nothing')
  assert.equal(cap.release(buf), false, 'a second release is refused')
  await tick()
  await tick()
  const after = cap.stats()
  assert.equal(after.delivery.released, before.delivery.released + 1)
  assert.equal(after.delivery.finalized, before.delivery.finalized + 1)
  assert.equal(after.pool.outstanding, before.pool.outstanding - 1)
  cap.close()
})

test('release() refuses what is not a live slot of this capture', async (t) => {
  const a = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, synthetic: { waveform: 'counter', paced: false } }))
  const b = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, synthetic: { waveform: 'counter', paced: false } }))
  const [bufA] = await firstPackets(a, 1)
  const [bufB] = await firstPackets(b, 1)
  assert.equal(a.release(Buffer.alloc(1920)), false, 'Buffer.alloc')
  const pooled = Buffer.from('small pooled buffer')
  assert.equal(a.release(pooled), false, "Node's pooled small Buffer")
  assert.equal(pooled.toString(), 'small pooled buffer', 'the shared pool must stay untouched')
  assert.equal(a.release(Buffer.from(bufA)), false, 'a copy of our Buffer')
  assert.equal(a.release(bufB), false, "another capture's Buffer")
  assert.equal(bufB.length, 1920, "another capture's Buffer stays intact")
  assert.equal(a.release(new Uint8Array(16)), false, 'a plain typed array')
  for (const bad of [null, undefined, 42, 'x', {}, new ArrayBuffer(8)]) {
    assert.throws(() => a.release(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  }
  assert.equal(a.release(bufA.subarray(10)), true, 'a view over our Buffer releases the whole slot')
  assert.equal(bufA.length, 0)
  a.close()
  b.close()
})

test('release() still works after close(), and closed captures refuse to start', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 4, synthetic: { waveform: 'counter', paced: false } }))
  const [buf] = await firstPackets(cap, 1)
  cap.close()
  cap.close() // idempotent
  assert.equal(buf.length, 1920, 'Buffers stay valid after close()')
  assert.equal(cap.release(buf), true)
  await assert.rejects(cap.start(), { code: 'CAPTURE_CLOSED' })
  await assert.rejects(cap.stop(), { code: 'CAPTURE_CLOSED' })
})

test('slots are recycled: many more packets than slots, all external, no misses', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, synthetic: { waveform: 'counter', paced: false } }))
  let n = 0
  cap.on('data', (buf) => {
    assert.equal(cap.release(buf), true)
    if (++n === 5000) cap.stop()
  })
  cap.start()
  await once(cap, 'stop')
  await tick()
  await tick()
  const s = cap.stats()
  assert.equal(s.pool.hits, s.delivery.packets)
  assert.ok(s.pool.hits >= 5000, 'each of the 8 slots was used many times')
  assert.equal(s.pool.misses, 0)
  assert.equal(s.pool.hitRate, 1)
  assert.equal(s.delivery.external, s.delivery.packets)
  assert.equal(s.delivery.released, s.delivery.packets)
  assert.equal(s.delivery.finalized, s.delivery.packets, 'every released slot came back')
  assert.equal(s.pool.outstanding, 0)
  assert.equal(s.pool.free, 8)
  cap.close()
})

test('autoRelease releases each packet after the listeners return', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, autoRelease: true, synthetic: { waveform: 'counter', paced: false } }))
  const kept = []
  let n = 0
  cap.on('data', (buf) => {
    assert.ok(buf.length > 0 && buf.length <= 1920, 'valid inside the listener (the last packet after stop() may be shorter)')
    if (kept.length < 3) kept.push(buf)
    if (++n === 1000) cap.stop()
  })
  cap.start()
  await once(cap, 'stop')
  assert.ok(kept.every((b) => b.length === 0), 'detached once the listener returned')
  const s = cap.stats()
  assert.equal(s.delivery.released, s.delivery.packets)
  assert.equal(s.pool.misses, 0)
  cap.close()
})

test('a consumer that never releases degrades to copies instead of dropping', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 16, synthetic: { waveform: 'counter', paced: true, blockFrames: 480 } }))
  const held = []
  cap.on('data', (buf) => held.push(buf))
  cap.start()
  await new Promise((r) => setTimeout(r, 600))
  cap.stop()
  await once(cap, 'stop')
  const s = cap.stats()
  assert.ok(s.delivery.lowWaterCopies > 0, `expected low-water copies: ${JSON.stringify(s)}`)
  assert.equal(s.delivery.external, 16 - 4, 'lends until the low-water mark (a quarter of the pool) is reached')
  assert.equal(s.pool.misses, 0, 'no audio was dropped')
  assert.equal(s.pool.heldByJs, 12)
  assert.equal(s.mode, 'external', 'the mode asked for is still in force for released slots')
  cap.close()
})
