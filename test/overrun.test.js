'use strict'
// Nothing is lost silently: a consumer that keeps every Buffer after a JS stall still gets
// packets (low-water mark judged per packet), and every drop produces 'overrun' and a flagged
// packet, even while the producer can make no packet at all. Fault table: docs/faults.md (1).
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const { Capture } = require('..')
const { closeAfter } = require('./helpers')

const GUARD = { timeout: 60_000 } // a hang fails the test instead of the run

/** Blocks the JS thread for `ms` (a long GC, a heavy synchronous task). */
function stall(ms) {
  const end = Date.now() + ms
  while (Date.now() < end);
}

/** Resolves once `cap` has emitted `n` more 'data' events. */
function packets(cap, n) {
  return new Promise((resolve) => {
    let seen = 0
    const on = () => {
      if (++seen === n) {
        cap.off('data', on)
        resolve()
      }
    }
    cap.on('data', on)
  })
}

for (const paced of [true, false]) {
  test(`a stall right after start() never lets one batch lend every slot (${paced ? 'paced' : 'unpaced'}): a consumer that keeps everything still gets packets`, GUARD, async (t) => {
    const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 16, synthetic: { waveform: 'counter', paced } }))
    const held = []
    const overruns = []
    cap.on('data', (buf) => held.push(buf))
    cap.on('overrun', (e) => overruns.push(e))
    await cap.start()
    stall(800) // the producer fills the whole pool meanwhile; the next drain is one big batch
    await packets(cap, 200)
    await cap.stop()
    const s = cap.stats()
    assert.ok(s.pool.heldByJs <= 16 - 4, `lent past the low-water mark: ${JSON.stringify(s.pool)}`)
    assert.ok(s.delivery.lowWaterCopies > 0)
    const reported = overruns.reduce((n, e) => n + e.droppedFrames, 0)
    assert.equal(reported, s.audio.droppedFrames, 'every dropped frame was reported by an overrun event')
    await cap.close()
  })
}

test('a producer that can make no packet at all still reports its drops; the packet after the gap is flagged', GUARD, async (t) => {
  // lowWaterMark 0: every slot may be lent; a consumer that keeps them all starves the producer.
  const cap = closeAfter(t, new Capture({ source: 'synthetic', poolSize: 8, lowWaterMark: 0, synthetic: { waveform: 'counter', paced: true } }))
  const held = []
  const overruns = []
  cap.on('overrun', (e) => overruns.push(e))
  const data = (buf, info) => held.push({ buf, info })
  cap.on('data', data)
  await cap.start()
  const [first] = await once(cap, 'overrun')
  assert.equal(first.seq, null, 'reported while the gap goes on, before any packet after it')
  assert.ok(first.droppedFrames > 0)
  assert.equal(held.length, 8, 'the pool was all lent, nothing more could be made')
  // The consumer gives everything back: the producer recovers and flags its first packet.
  const after = new Promise((resolve) => cap.on('data', (buf, info) => resolve(info)))
  for (const { buf } of held.splice(0)) assert.equal(cap.release(buf), true)
  const info = await after
  assert.equal(info.discontinuity, true)
  cap.off('data', data)
  await cap.stop()
  const total = overruns.reduce((n, e) => n + e.droppedFrames, 0)
  assert.equal(total, cap.stats().audio.droppedFrames)
  assert.equal(overruns.at(-1).totalDroppedFrames, total)
  await cap.close()
})
