'use strict'
// Delivery styles: the Readable stream (copies, honest backpressure) and async iteration.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pipeline } = require('node:stream/promises')
const { Capture } = require('..')
const { checkCounter, closeAfter } = require('./helpers')

const counter = ({ synthetic, ...rest } = {}) =>
  new Capture({ source: 'synthetic', ...rest, synthetic: { waveform: 'counter', ...synthetic } })

test('a paused stream consumer: bounded memory, overrun counted, gap flagged, data intact around it', async (t) => {
  const cap = closeAfter(t, counter({ poolSize: 16, synthetic: { paced: true, blockFrames: 480 } }))
  const stream = cap.stream({ objectMode: true, highWaterMark: 4 })
  // Instrument: no push() may follow one that returned false before the next _read().
  let blocked = false
  let violations = 0
  const push = stream.push.bind(stream)
  stream.push = (chunk) => {
    if (blocked && chunk !== null) violations++
    const more = push(chunk)
    if (!more) blocked = true
    return more
  }
  const read = stream._read.bind(stream)
  stream._read = (n) => {
    blocked = false
    read(n)
  }
  const overruns = []
  stream.on('overrun', (e) => overruns.push(e))
  await cap.start()
  const got = []
  const it = stream[Symbol.asyncIterator]()
  for (let i = 0; i < 20; i++) got.push((await it.next()).value)
  const rss0 = process.memoryUsage().rss
  await new Promise((r) => setTimeout(r, 2000)) // nobody reads for 2 s
  const rss1 = process.memoryUsage().rss
  for (let i = 0; i < 60; i++) got.push((await it.next()).value)
  await cap.close()
  assert.equal(violations, 0, 'pushed after push() returned false')
  assert.ok(rss1 - rss0 < 16 * 1024 * 1024, `RSS grew ${rss1 - rss0} bytes while paused`)
  const s = cap.stats()
  assert.ok(s.pool.misses > 0 && s.audio.droppedFrames > 0, `2 s paused must overrun a 16-slot pool: ${JSON.stringify(s.audio)}`)
  // One report when the gap began (seq null, no packet yet), then the rest with the flagged packet.
  const dropped = overruns.reduce((n, e) => n + e.droppedFrames, 0)
  assert.ok(overruns.length >= 1 && overruns.length <= 2, `${overruns.length} overrun events for one gap`)
  assert.equal(dropped, s.audio.droppedFrames)
  assert.equal(overruns.at(-1).totalDroppedFrames, s.audio.droppedFrames)
  const gap = got.findIndex((p) => p.info.discontinuity)
  assert.ok(gap > 0, 'the packet after the gap is flagged')
  // Before the gap: continuous counter; after it: the counter resumes exactly past the dropped frames.
  checkCounter(got.slice(0, gap).map((p) => ({ bytes: p.buffer, info: p.info })), { channels: 2, format: 's16' })
  const framesBefore = got.slice(0, gap).reduce((n, p) => n + p.info.frames, 0)
  const first = new Int16Array(got[gap].buffer.buffer, got[gap].buffer.byteOffset, 2)[0]
  assert.equal(first, (framesBefore + dropped) % 32768, 'data after the gap is intact and in place')
  for (let i = gap + 1; i < got.length; i++) assert.equal(got[i].info.seq, got[i - 1].info.seq + 1)
})

test('pipeline() to a file writes the exact stream (copies, so nothing is corrupted)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-'))
  const file = path.join(dir, 'out.raw')
  const cap = closeAfter(t, counter({ synthetic: { paced: false } }))
  const stream = cap.stream()
  let n = 0
  cap.on('data', () => {
    if (++n === 3000) cap.stop()
  })
  await cap.start()
  await pipeline(stream, fs.createWriteStream(file))
  const bytes = fs.readFileSync(file)
  fs.rmSync(dir, { recursive: true, force: true })
  const frames = checkCounter([{ bytes, info: { seq: 0, frames: bytes.length / 4 } }], { channels: 2, format: 's16' })
  assert.equal(frames, cap.stats().audio.frames, 'every frame reached the file, in order')
  assert.equal(cap.stats().pool.misses, 0)
  await cap.close()
})

test('for await with break stops the capture; autoRelease releases the previous packet', async (t) => {
  const cap = closeAfter(t, counter({ synthetic: { paced: false } }))
  let prev = null
  let n = 0
  for await (const { buffer, info } of cap.packets({ autoRelease: true })) {
    if (prev) assert.equal(prev.length, 0, 'the previous packet was released when this one was pulled')
    assert.equal(info.seq, n)
    prev = buffer
    if (++n === 500) break
  }
  assert.equal(cap.running, false, 'break stopped the capture')
  assert.equal(prev.length, 0, 'the last packet is released on break')
  await new Promise((r) => setImmediate(r))
  const s = cap.stats()
  assert.equal(s.pool.outstanding, 0, 'every slot came back')
  assert.equal(s.pool.misses, 0)
  await cap.close()
})

test('for await ends when the capture stops', async (t) => {
  const cap = closeAfter(t, counter({ synthetic: { paced: true } }))
  setTimeout(() => cap.stop(), 200)
  let n = 0
  for await (const { buffer } of cap.packets()) {
    cap.release(buffer)
    n++
  }
  assert.ok(n >= 15 && n <= 40, `${n} packets in ~200 ms`)
  await cap.close()
})

test('a slow iterator holds delivery instead of buffering without bound', async (t) => {
  const cap = closeAfter(t, counter({ poolSize: 8, synthetic: { paced: true } }))
  const it = cap.packets({ autoRelease: true })
  await it.next()
  await new Promise((r) => setTimeout(r, 500))
  const s = cap.stats()
  assert.ok(s.audio.droppedFrames > 0, 'the capture overran instead of queueing in JS')
  assert.ok(s.delivery.packets <= 8 + 4, `only about a pool's worth was delivered: ${s.delivery.packets}`)
  await it.return()
  await cap.close()
})

test('two captures at once keep their own content and counters', async (t) => {
  const a = closeAfter(t, new Capture({ source: 'synthetic', format: 's16', synthetic: { waveform: 'counter', paced: false } }))
  const b = closeAfter(t, new Capture({ source: 'synthetic', format: 'f32', channels: 1, framesPerPacket: 256, synthetic: { waveform: 'counter', paced: false } }))
  const take = async (cap, count) => {
    const out = []
    for await (const { buffer, info } of cap.packets()) {
      out.push({ bytes: Buffer.from(buffer), info })
      cap.release(buffer)
      if (out.length === count) break
    }
    return out
  }
  const [pa, pb] = await Promise.all([take(a, 400), take(b, 400)])
  checkCounter(pa, { channels: 2, format: 's16' })
  checkCounter(pb, { channels: 1, format: 'f32' })
  assert.equal(a.stats().pool.misses + b.stats().pool.misses, 0)
  await Promise.all([a.close(), b.close()])
})
