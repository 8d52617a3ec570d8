'use strict'
// Every option's bad values throw before anything native is touched, with Node's codes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Capture } = require('..')
const { closeAfter } = require('./helpers')

const T = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }
const V = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }
const R = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }

const bad = [
  [null, T], [42, T], ['x', T], [[], T],
  [{ samplerate: 48000 }, V], [{ bogus: 1 }, V],
  [{ source: 'mic' }, V], [{ source: 1 }, T],
  [{ host: 'oss' }, V], [{ host: 'ALSA' }, V], [{ host: 1 }, T],
  [{ device: '' }, V], [{ device: 3 }, T], [{ device: null }, T], [{ device: {} }, T], [{ device: { id: 5 } }, T], [{ device: { name: 'x' } }, V],
  [{ loopback: 'yes' }, T], [{ loopback: true, device: 'default' }, V],
  [{ channelMap: 0 }, T], [{ channelMap: [0] }, V], [{ channelMap: [0, 32] }, R], [{ channelMap: [0, -1] }, R], [{ channelMap: [0, '1'] }, T],
  [{ bufferFrames: 8 }, R], [{ bufferFrames: 65537 }, R], [{ bufferFrames: '256' }, T],
  [{ sampleRate: '48000' }, T], [{ sampleRate: 999 }, R], [{ sampleRate: 384001 }, R], [{ sampleRate: 44100.5 }, R], [{ sampleRate: NaN }, R],
  [{ channels: 0 }, R], [{ channels: 33 }, R], [{ channels: 1.5 }, R], [{ channels: '2' }, T],
  [{ format: 's24' }, V], [{ format: 'S16' }, V], [{ format: 16 }, T],
  [{ framesPerPacket: 0 }, R], [{ framesPerPacket: 1025 }, R], [{ format: 'f32', framesPerPacket: 513 }, R],
  [{ channels: 1, framesPerPacket: 2049 }, R], [{ framesPerPacket: -1 }, R], [{ framesPerPacket: Infinity }, R], [{ framesPerPacket: null }, T],
  [{ poolSize: 0 }, R], [{ poolSize: 65537 }, R], [{ poolSize: 2.5 }, R], [{ poolSize: '64' }, T],
  [{ lowWaterMark: -1 }, R], [{ lowWaterMark: 64 }, R], [{ poolSize: 4, lowWaterMark: 4 }, R], [{ lowWaterMark: '1' }, T],
  [{ useExternalBuffer: 'yes' }, T], [{ useExternalBuffer: 1 }, T],
  [{ autoRelease: 'true' }, T], [{ autoRelease: null }, T],
  [{ followDefault: 'no' }, T], [{ followDefault: 0 }, T], [{ followDefault: null }, T],
  [{ source: 'synthetic', synthetic: 'sine' }, T], [{ source: 'synthetic', synthetic: null }, T], [{ source: 'synthetic', synthetic: { wave: 'sine' } }, V],
  [{ source: 'synthetic', synthetic: { waveform: 'square' } }, V], [{ source: 'synthetic', synthetic: { waveform: 3 } }, T],
  [{ source: 'synthetic', synthetic: { frequency: 0 } }, R], [{ source: 'synthetic', synthetic: { frequency: 24000 } }, R], [{ source: 'synthetic', synthetic: { frequency: -5 } }, R], [{ source: 'synthetic', synthetic: { frequency: '1k' } }, T],
  [{ source: 'synthetic', sampleRate: 16000, synthetic: { frequency: 8000 } }, R],
  [{ source: 'synthetic', synthetic: { amplitude: 1.01 } }, R], [{ source: 'synthetic', synthetic: { amplitude: -0.1 } }, R], [{ source: 'synthetic', synthetic: { amplitude: NaN } }, R],
  [{ source: 'synthetic', synthetic: { paced: 0 } }, T],
  [{ source: 'synthetic', synthetic: { blockFrames: 0 } }, R], [{ source: 'synthetic', synthetic: { blockFrames: 65537 } }, R], [{ source: 'synthetic', synthetic: { blockFrames: [] } }, V],
  [{ source: 'synthetic', synthetic: { blockFrames: [512, 0] } }, R], [{ source: 'synthetic', synthetic: { blockFrames: [512, 'x'] } }, T], [{ source: 'synthetic', synthetic: { blockFrames: 1.5 } }, R],
  [{ source: 'synthetic', synthetic: { sampleFormat: 'u8' } }, V], [{ source: 'synthetic', synthetic: { sampleFormat: null } }, T],
]

for (const [options, expected] of bad) {
  test(`new Capture(${JSON.stringify(options)}) throws ${expected.code}`, () => {
    assert.throws(() => new Capture(options), (err) => {
      assert.equal(err.name, expected.name)
      assert.equal(err.code, expected.code)
      return true
    })
  })
}

test('error messages name the option, the value and what is allowed', () => {
  assert.throws(() => new Capture({ framesPerPacket: 5000 }), {
    message: 'The value of "framesPerPacket" is out of range. It must be an integer >= 1 and <= 1024. Received 5000',
  })
  assert.throws(() => new Capture({ format: 's24' }), {
    message: `The "format" option must be one of 's16', 'f32'. Received 's24'`,
  })
  assert.throws(() => new Capture({ source: 'synthetic', synthetic: { blockFrames: [512, 0] } }), { message: /"synthetic\.blockFrames\[1\]"/ })
})

test('defaults: 48 kHz stereo s16, 480-frame packets, 64 slots, external', (t) => {
  const cap = closeAfter(t, new Capture())
  const s = cap.stats()
  assert.equal(s.pool.capacity, 64)
  assert.equal(s.mode, 'external')
  assert.equal(s.externalBuffersAllowed, true)
  assert.equal(s.running, false)
  assert.equal(s.pool.free, 64)
  cap.close()
})

test('the edges of every range are accepted', () => {
  const ok = [
    { sampleRate: 1000, synthetic: { frequency: 499 } }, { sampleRate: 384000 }, { channels: 1 }, { channels: 32, framesPerPacket: 64 },
    { framesPerPacket: 1024 }, { format: 'f32', framesPerPacket: 512 }, { poolSize: 1, lowWaterMark: 0 }, { poolSize: 4, lowWaterMark: 3 },
    { synthetic: { amplitude: 0 } }, { synthetic: { amplitude: 1 } }, { synthetic: { blockFrames: [1, 65536] } },
  ]
  for (const o of ok) new Capture({ source: 'synthetic', ...o }).close()
  for (const o of [{ host: 'alsa' }, { device: 'x' }, { device: { id: 'alsa:default' } }, { loopback: true }, { channelMap: [1, 0] }, { bufferFrames: 16 }]) {
    new Capture(o).close() // device options are checked here; the device is opened by start()
  }
})

test('listDevices() and defaultDevice() validate their options before asking any host', () => {
  const { listDevices, defaultDevice } = require('..')
  const cases = [
    [{ hots: 'alsa' }, V], [{ kind: 'mic' }, V], [{ probe: 1 }, T], [null, T], [{ host: 'oss' }, V], [{ host: 1 }, T],
  ]
  for (const [o, expected] of cases) {
    assert.throws(() => listDevices(o), { name: expected.name, code: expected.code }, JSON.stringify(o))
  }
  assert.throws(() => defaultDevice({ host: 3 }), T)
  assert.throws(() => defaultDevice({ device: 'x' }), V)
})
