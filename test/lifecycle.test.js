'use strict'
// GC safety net, teardown and exit paths. Anything GC- or exit-sensitive runs in a child
// process and is judged by its exit status plus a marker on stdout.
const test = require('node:test')
const assert = require('node:assert/strict')
const { runChild, childReport } = require('./helpers')

test('GC alone returns slots of Buffers nobody released', () => {
  const code = `
    const { Capture } = require('.')
    const cap = new Capture({ source: 'synthetic', poolSize: 16, lowWaterMark: 0, synthetic: { waveform: 'counter', paced: false } })
    let n = 0
    // Every Buffer is dropped unreleased: only GC can return its slot.
    const timer = setInterval(() => global.gc(), 5)
    cap.on('data', () => {
      if (++n === 3000) cap.stop()
    })
    cap.on('stop', () => {
      clearInterval(timer)
      global.gc()
      setTimeout(() => {
        global.gc()
        setTimeout(() => {
          const s = cap.stats()
          console.log('STATS ' + JSON.stringify(s))
          cap.close()
        }, 50)
      }, 50)
    })
    cap.start()`
  const r = runChild(code, { args: ['--expose-gc'] })
  assert.equal(r.status, 0, childReport(r))
  const s = JSON.parse(/STATS (.*)/.exec(r.stdout)[1])
  assert.ok(s.delivery.packets >= 3000, childReport(r))
  assert.equal(s.delivery.released, 0, 'nothing was released explicitly')
  assert.ok(s.delivery.finalized >= s.delivery.external - 16, `GC must have returned the slots: ${JSON.stringify(s)}`)
  assert.equal(s.pool.misses, 0, 'unpaced: waits for GC instead of dropping')
})

test('close() while Buffers are alive keeps them valid and the process exits 0', () => {
  const code = `
    const { Capture } = require('.')
    const cap = new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } })
    const kept = []
    cap.on('data', (buf) => { if (kept.length < 10) kept.push(buf); else cap.release(buf); if (kept.length === 10 && cap.running) cap.close() })
    cap.on('close', () => {
      setTimeout(() => {
        global.gc && global.gc()
        let frame = 0
        for (const b of kept) {
          const s = new Int16Array(b.buffer, b.byteOffset, b.length / 2)
          for (let i = 0; i < s.length; i += 2) if (s[i] !== (frame++ % 32768)) throw new Error('corrupted after close')
        }
        console.log('INTACT ' + kept.length)
      }, 100)
    })
    cap.start()`
  const r = runChild(code, { args: ['--expose-gc'] })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /INTACT 10/)
})

test('natural exit with live Buffers exits 0', () => {
  const code = `
    const { Capture } = require('.')
    const cap = new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } })
    globalThis.kept = []
    cap.on('data', (buf) => { globalThis.kept.push(buf); if (globalThis.kept.length === 20) cap.stop() })
    cap.on('stop', () => console.log('STOPPED'))
    cap.start()`
  const r = runChild(code)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /STOPPED/)
})

test('process.exit() mid-capture with live Buffers exits 0', () => {
  const code = `
    const { Capture } = require('.')
    const caps = [new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } }), new Capture({ source: 'synthetic', synthetic: { paced: true } })]
    const kept = []
    for (const cap of caps) cap.on('data', (buf) => { kept.push(buf); if (kept.length === 50) { console.log('EXITING'); process.exit(0) } })
    for (const cap of caps) cap.start()`
  for (let i = 0; i < 5; i++) {
    const r = runChild(code)
    assert.equal(r.status, 0, childReport(r))
    assert.match(r.stdout, /EXITING/)
  }
})

test('a running capture keeps the process alive; a stopped one does not', () => {
  const code = `
    const { Capture } = require('.')
    const cap = new Capture({ source: 'synthetic', synthetic: { paced: true } })
    let n = 0
    cap.on('data', (b) => { cap.release(b); if (++n === 25) { console.log('STOP ' + n); cap.stop() } })
    cap.start()`
  const r = runChild(code, { timeout: 20_000 })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /STOP 25/, 'the loop stayed alive until 25 packets arrived')
})

test('a Worker that captures and is terminated mid-stream leaves the process healthy', () => {
  const code = `
    const { Worker } = require('node:worker_threads')
    const src = \`
      const { parentPort } = require('node:worker_threads')
      const { Capture } = require(\${JSON.stringify(process.cwd())})
      const cap = new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } })
      const kept = []
      let n = 0
      cap.on('data', (buf) => { if (kept.length < 30) kept.push(buf); else cap.release(buf); if (++n === 200) parentPort.postMessage(n) })
      cap.start()
    \`
    let rounds = 0
    function round() {
      const w = new Worker(src, { eval: true })
      w.once('message', async (n) => {
        await w.terminate()
        if (++rounds < 5) round()
        else {
          const { Capture } = require('.')
          const cap = new Capture({ source: 'synthetic', synthetic: { waveform: 'counter', paced: false } })
          let m = 0
          cap.on('data', (b) => { cap.release(b); if (++m === 100) cap.close() })
          cap.on('close', () => console.log('MAIN OK ' + rounds))
          cap.start()
        }
      })
      w.once('error', (e) => { console.error(e); process.exit(3) })
    }
    round()`
  const r = runChild(code)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /MAIN OK 5/)
})

test('a listener that throws does not lose the rest of its batch', () => {
  const code = `
    const { Capture } = require('.')
    const cap = new Capture({ source: 'synthetic', poolSize: 64, synthetic: { waveform: 'counter', paced: false } })
    let n = 0, seqOk = true, last = -1
    process.on('uncaughtException', (e) => { if (e.message !== 'boom') throw e })
    cap.on('data', (buf, info) => {
      if (info.seq !== last + 1) seqOk = false
      last = info.seq
      cap.release(buf)
      if (++n === 500) { cap.stop() }
      if (n % 97 === 0) throw new Error('boom')
    })
    cap.on('stop', () => { console.log('SEQ ' + seqOk + ' ' + (last + 1 === cap.stats().delivery.packets)); cap.close() })
    cap.start()`
  const r = runChild(code)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /SEQ true true/)
})
