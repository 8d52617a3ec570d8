'use strict'
// The valgrind scenario (test/stress.test.js runs it under memcheck): a short capture whose
// Buffers are half released and half kept past close(), then left to GC, so every path that
// touches or frees pool memory runs: lending, copying, release(), close() with Buffers alive,
// the finalizers, the pool's free in the last one. Prints `done <packets> <pool bytes left>`.
const { Capture } = require('../..')
const { NativeCapture } = require('../../native.js')

const turn = () => new Promise((r) => setImmediate(r))

;(async () => {
  const cap = new Capture({ source: 'synthetic', poolSize: 16, synthetic: { waveform: 'counter', paced: false } })
  let n = 0
  let kept = []
  cap.on('data', (buf) => {
    if (n++ % 2) cap.release(buf)
    else kept.push(buf)
    if (n === 40) cap.stop()
  })
  await cap.start()
  await new Promise((r) => cap.once('stop', r))
  await cap.close()
  let sum = 0
  for (const b of kept) sum += b.length ? b.readInt16LE(0) : 0 // still readable after close()
  kept = null
  for (let i = 0; i < 5; i++) {
    global.gc()
    await turn()
  }
  console.log('done', n, NativeCapture.poolMemory()[0], sum >= 0)
})()
