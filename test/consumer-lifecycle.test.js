'use strict'
// stream() and packets() never hang: on a closed capture they settle at once, overlapping
// next() calls queue, the stream starts the capture at its first read and stops it when
// destroyed early, an unread consumer holds nothing, and a capture error reaches a stream the
// way Node's streams report errors. Fault table: docs/faults.md (2, 3, 4, 12).
const test = require('node:test')
const assert = require('node:assert/strict')
const { once } = require('node:events')
const { Writable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const { Capture } = require('..')
const { runChild, childReport, closeAfter } = require('./helpers')

const GUARD = { timeout: 60_000 } // a hang fails the test instead of the run
const counter = (extra = {}) => new Capture({ source: 'synthetic', ...extra, synthetic: { waveform: 'counter', paced: false } })

test('packets() and stream() on a closed capture reject at once with CAPTURE_CLOSED', GUARD, async (t) => {
  const cap = closeAfter(t, counter())
  await cap.close()
  await assert.rejects(cap.packets().next(), { code: 'CAPTURE_CLOSED' })
  await assert.rejects(pipeline(cap.stream(), new Writable({ write: (c, e, cb) => cb() })), { code: 'CAPTURE_CLOSED' })
  const it = cap.packets()
  await assert.rejects(it.next(), { code: 'CAPTURE_CLOSED' })
  assert.deepEqual(await it.next(), { value: undefined, done: true }, 'after the rejection the iterator is done')
})

test('CommonJS: a for await over a closed capture does not silently end the script', GUARD, () => {
  const r = runChild(`
    const { Capture } = require('.')
    ;(async () => {
      const cap = new Capture({ source: 'synthetic' })
      await cap.close()
      try { for await (const p of cap.packets()) {} } catch (e) { console.log('caught', e.code) }
      console.log('after')
    })()`)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /caught CAPTURE_CLOSED\nafter/, childReport(r))
})

test('overlapping next() calls each settle, in call order, with consecutive packets', GUARD, async (t) => {
  const cap = closeAfter(t, counter())
  const it = cap.packets()
  const got = await Promise.all(Array.from({ length: 20 }, () => it.next()))
  assert.deepEqual(got.map((r) => r.value.info.seq), [...Array(20).keys()])
  for (const r of got) cap.release(r.value.buffer)
  await it.return()
  // Calls still pending when the capture closes settle too, the last one with done.
  const it2 = cap.packets()
  const pending = Array.from({ length: 50 }, () => it2.next())
  await cap.close()
  const rest = await Promise.all(pending)
  assert.equal(rest.at(-1).done, true)
  assert.ok(rest.every((r) => r.done || r.value.info.frames > 0))
})

test('pipeline(cap.stream(), dest) without start() captures; destroying the stream early stops the capture', GUARD, async (t) => {
  const cap = closeAfter(t, counter())
  let bytes = 0
  const dest = new Writable({
    write(chunk, enc, cb) {
      bytes += chunk.length
      if (bytes >= 100 * 1920) src.destroy() // stop reading early
      cb()
    },
  })
  const src = cap.stream()
  await assert.rejects(pipeline(src, dest), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
  assert.ok(bytes >= 100 * 1920, `the stream started the capture: ${bytes} bytes`)
  if (cap.running) await once(cap, 'stop')
  assert.equal(cap.running, false, 'the destroyed stream stopped the capture')
  await cap.close()
})

test('an unread stream holds nothing: other listeners keep receiving', GUARD, async (t) => {
  const cap = closeAfter(t, counter({ poolSize: 16 }))
  const unread = cap.stream() // created, never read
  let n = 0
  cap.on('data', (buf) => {
    cap.release(buf)
    if (++n === 2000) cap.stop()
  })
  await cap.start()
  await once(cap, 'stop')
  assert.ok(n >= 2000, `${n} packets`)
  assert.equal(cap.stats().pool.misses, 0)
  assert.equal(unread.readableLength, 0, 'the unread stream did not join')
  await cap.close()
})

test('a stream that reads once and then stops reading paces every listener of the capture (documented)', GUARD, async (t) => {
  const cap = closeAfter(t, counter({ poolSize: 16 }))
  const s = cap.stream({ highWaterMark: 1 })
  let n = 0
  cap.on('data', () => n++) // keeps nothing, releases nothing (the stream copies after it)
  s.read(0) // joins and starts the capture, then nobody reads
  assert.equal(cap.running, true, 'the first read started the capture')
  while (s.readableLength === 0) await new Promise((r) => setImmediate(r)) // now the stream is full
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
  const before = n
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
  assert.equal(n, before, 'held: the other listener gets nothing more while the stream is full')
  s.destroy()
  await cap.close()
})

test('a capture error destroys a joined stream with that error: pipeline() rejects, the process lives', GUARD, async (t) => {
  const cap = closeAfter(t, counter())
  const lost = Object.assign(new Error('device gone'), { code: 'DEVICE_LOST' })
  const src = cap.stream()
  const dest = new Writable({
    write(chunk, enc, cb) {
      cap.emit('error', lost) // the path a fatal device error takes (see lib/capture.js)
      cb()
    },
  })
  await assert.rejects(pipeline(src, dest), { code: 'DEVICE_LOST' })
  await cap.close()
})
