'use strict'
// Nothing lost uncounted: cpal's PulseAudio host delivers only part of the audio at 16-128
// frames, saying nothing: refused. Accepted small buffers: delivered + dropped frames match the
// clock within 2 %, and a loss flags a packet and shows in droppedFrames and 'overrun'.
// (The loss detector itself is tested exactly in src/capture/loss.rs.)
const test = require('node:test')
const assert = require('node:assert/strict')
const { ensureAudioServer, skipReason } = require('./audio-server')
const { closeAfter } = require('./helpers')

const server = ensureAudioServer()

const cases = [
  { host: 'pulseaudio', bufferFrames: 1024 },
  { host: 'alsa', bufferFrames: 64 },
  { host: 'alsa', bufferFrames: 256 },
]

test('bufferFrames under 256 on the PulseAudio host is refused with a clear error', async (t) => {
  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const { Capture } = require('..')
  for (const bufferFrames of [16, 64, 128, 255]) {
    // If start() resolved (the bug this test catches), the capture would run: closeAfter stops it.
    const cap = closeAfter(t, new Capture({ host: 'pulseaudio', bufferFrames }))
    await assert.rejects(cap.start(), (e) => e.code === 'UNSUPPORTED_CONFIG' && /bufferFrames \d+ is too small for the 'pulseaudio' host \(at least 256\)/.test(e.message))
    await cap.close()
  }
})

for (const c of cases) {
  test(`delivered + dropped frames match the clock within 2 % (${c.host}, bufferFrames ${c.bufferFrames})`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const { Capture } = require('..')
    const cap = closeAfter(t, new Capture({ ...c, sampleRate: 48000, channels: 2, format: 's16' }))
    let frames = 0
    let first = null
    let flagged = 0
    let overrunFrames = 0
    cap.on('data', (buf, info) => {
      if (first === null) first = info.captureTime // when its first frame was captured
      frames += info.frames
      if (info.discontinuity) flagged++
      cap.release(buf)
    })
    cap.on('overrun', (o) => (overrunFrames = o.totalDroppedFrames))
    await cap.start()
    await new Promise((r) => setTimeout(r, 4000))
    const end = performance.now()
    await cap.stop()
    const s = cap.stats()
    await cap.close()
    const clock = ((end - first) / 1000) * 48000
    const dropped = s.audio.droppedFrames
    const ratio = (frames + dropped) / clock
    t.diagnostic(`${frames} delivered + ${dropped} dropped = ${(ratio * 100).toFixed(1)} % of the clock; ${flagged} flagged packets, ${s.audio.discontinuities} discontinuities`)
    assert.ok(Math.abs(ratio - 1) <= 0.02, `delivered + dropped = ${ratio} of the clock`)
    if (dropped > 0) {
      assert.ok(flagged > 0 && s.audio.discontinuities > 0, 'a loss flags a packet')
      assert.ok(overrunFrames > 0, "a loss is reported by 'overrun'")
    }
  })
}
