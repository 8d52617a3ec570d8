'use strict'
// Exact content through the whole path: synthetic source -> packetizer -> pool -> relay -> JS.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Capture } = require('..')
const { collect, checkCounter, closeAfter } = require('./helpers')

const cases = [
  { format: 's16', sampleFormat: 'i16', channels: 2, framesPerPacket: 480, blockFrames: 512 },
  { format: 's16', sampleFormat: 'f32', channels: 2, framesPerPacket: 480, blockFrames: [1, 479, 480, 481, 1447] },
  { format: 's16', sampleFormat: 'i32', channels: 1, framesPerPacket: 2048, blockFrames: [160, 7, 1024] },
  { format: 'f32', sampleFormat: 'i16', channels: 2, framesPerPacket: 512, blockFrames: [333] },
  { format: 'f32', sampleFormat: 'f32', channels: 3, framesPerPacket: 100, blockFrames: [99, 101] },
]

for (const c of cases) {
  test(`counter content is exact across packets (${JSON.stringify(c)})`, async (t) => {
    const cap = closeAfter(t, new Capture({
      source: 'synthetic',
      format: c.format,
      channels: c.channels,
      framesPerPacket: c.framesPerPacket,
      synthetic: { waveform: 'counter', paced: false, blockFrames: c.blockFrames, sampleFormat: c.sampleFormat },
    }))
    const packets = await collect(cap, 300)
    const frames = checkCounter(packets, c)
    assert.ok(frames >= 300 * c.framesPerPacket - c.framesPerPacket)
    packets.forEach((p, i) => assert.equal(p.info.seq, i, 'seq must be continuous'))
    assert.ok(packets.every((p) => !p.info.discontinuity))
    const st = cap.stats()
    assert.equal(st.pool.misses, 0)
    assert.equal(st.audio.droppedFrames, 0)
    cap.close()
  })
}

test('a paced capture runs in real time with increasing capture times', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: true, blockFrames: 480 } }))
  const t0 = performance.now()
  const packets = await collect(cap, 30)
  const elapsed = performance.now() - t0
  assert.ok(elapsed >= 250, `30 packets of 10 ms arrived in ${elapsed} ms: not paced`)
  for (let i = 1; i < packets.length; i++) {
    const dt = packets[i].info.captureTime - packets[i - 1].info.captureTime
    assert.ok(Math.abs(dt - 10) < 0.01, `capture times must be 10 ms apart, got ${dt}`)
  }
  const first = packets[0].info.captureTime
  assert.ok(first >= t0 - 5 && first <= performance.now(), `captureTime ${first} is on the performance.now() clock`)
  checkCounter(packets, { channels: 2, format: 's16' })
  cap.close()
})

test('stop() delivers the last partial packet, so no frame is lost', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false, blockFrames: 7 } }))
  const packets = []
  cap.on('data', (buf, info) => {
    packets.push({ bytes: Buffer.from(buf), info })
    cap.release(buf)
    if (packets.length === 20 && cap.running) cap.stop()
  })
  const stopped = new Promise((resolve) => cap.once('stop', resolve))
  cap.start()
  await stopped
  const frames = checkCounter(packets, { channels: 2, format: 's16' })
  assert.equal(frames, cap.stats().audio.frames, 'every produced frame reached JS')
  assert.equal(cap.stats().delivery.queued, 0)
  cap.close()
})

test('a sine has the asked amplitude', async (t) => {
  const cap = closeAfter(t, new Capture({ source: 'synthetic', format: 'f32', synthetic: { waveform: 'sine', frequency: 1000, amplitude: 0.25, paced: false } }))
  const packets = await collect(cap, 50)
  let peak = 0
  for (const { bytes } of packets) {
    const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
    for (const v of f) peak = Math.max(peak, Math.abs(v))
  }
  assert.ok(Math.abs(peak - 0.25) < 1e-3, `peak ${peak}`)
  cap.close()
})
