'use strict'
// Lifecycle contract: promises, idempotence, AbortSignal, Symbol.asyncDispose, events.
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const { Capture } = require('..')
const { closeAfter } = require('./helpers')

const make = (extra = {}) => new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: true }, ...extra })

test('start() twice is a no-op: one start event, still running', async (t) => {
  const cap = closeAfter(t, make())
  let starts = 0
  cap.on('start', () => starts++)
  await cap.start()
  await cap.start()
  assert.equal(starts, 1)
  assert.equal(cap.running, true)
  await cap.close()
})

test('stop() resolves after the queued packets and the stop event; stop() when stopped resolves at once', async (t) => {
  const cap = closeAfter(t, make())
  const events = []
  cap.on('data', (b) => {
    cap.release(b)
    events.push('data')
  })
  cap.on('stop', () => events.push('stop'))
  await cap.start()
  await new Promise((r) => setTimeout(r, 100))
  await cap.stop()
  assert.equal(events.at(-1), 'stop', 'stop() resolved after the stop event, with no data after it')
  assert.equal(cap.stats().delivery.queued, 0)
  await cap.stop()
  assert.equal(events.filter((e) => e === 'stop').length, 1)
  await cap.close()
})

test('close() is idempotent, emits close once, and every call after it rejects with CAPTURE_CLOSED', async (t) => {
  const cap = closeAfter(t, make())
  let closes = 0
  cap.on('close', () => closes++)
  await cap.start()
  const first = cap.close()
  assert.equal(cap.close(), first, 'a second close() returns the same promise')
  await first
  assert.equal(closes, 1, 'close was emitted before the promise resolved')
  await cap.close()
  assert.equal(closes, 1)
  assert.equal(cap.closed, true)
  await assert.rejects(cap.start(), { code: 'CAPTURE_CLOSED' })
  await assert.rejects(cap.stop(), { code: 'CAPTURE_CLOSED' })
})

test('an AbortSignal stops and closes the capture; an aborted one refuses to start', async (t) => {
  const ac = new AbortController()
  const cap = closeAfter(t, make({ signal: ac.signal }))
  await cap.start()
  const closed = once(cap, 'close')
  ac.abort()
  await closed
  assert.equal(cap.closed, true)
  assert.equal(cap.running, false)
  const pre = closeAfter(t, make({ signal: AbortSignal.abort() }))
  await assert.rejects(pre.start(), { name: 'AbortError', code: 'ABORT_ERR' })
  assert.throws(() => make({ signal: {} }), { code: 'ERR_INVALID_ARG_TYPE' })
})

test('Symbol.asyncDispose closes the capture', async (t) => {
  const cap = closeAfter(t, make())
  await cap.start()
  const dispose = cap[Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')]
  assert.equal(typeof dispose, 'function')
  await dispose.call(cap)
  assert.equal(cap.closed, true)
})

test('stream() and packets() validate their options', (t) => {
  const cap = closeAfter(t, make())
  assert.throws(() => cap.stream({ objectmode: true }), { code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => cap.stream({ objectMode: 1 }), { code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => cap.stream({ highWaterMark: -1 }), { code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => cap.packets({ autorelease: true }), { code: 'ERR_INVALID_ARG_VALUE' })
  assert.throws(() => cap.packets({ autoRelease: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' })
  assert.throws(() => cap.packets(null), { code: 'ERR_INVALID_ARG_TYPE' })
  cap.close()
})
