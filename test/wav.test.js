'use strict'
// cli/wav.js on its own: the header sox reads for each layout, sizes kept right while the file
// grows (read back mid-write, as after a kill), and the stop at the size limit (RIFF's 4 GiB,
// lowered here through maxDataBytes so the test writes kilobytes, not gigabytes).
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { WavWriter, header, RIFF_MAX } = require('../cli/wav')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-wav-'))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
const haveSox = spawnSync('sox', ['--version']).status === 0
const needSox = !haveSox && (process.env.CI ? false : 'sox is not installed (apt-get install sox)')

function soxFrames(file) {
  const r = spawnSync('sox', ['--i', '-s', file], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  return Number(r.stdout.trim())
}

test('header layouts: PCM 44 bytes, float with fact 58, extensible 80 (68 + fact)', () => {
  assert.equal(header({ sampleRate: 48000, channels: 2, format: 's16' }).header.length, 44)
  assert.equal(header({ sampleRate: 48000, channels: 2, format: 'f32' }).header.length, 58)
  assert.equal(header({ sampleRate: 48000, channels: 4, format: 's16' }).header.length, 68)
  assert.equal(header({ sampleRate: 48000, channels: 4, format: 'f32' }).header.length, 80)
  assert.equal(RIFF_MAX, 2 ** 32 - 1)
})

test('the sizes in the header follow the data while the file grows', { skip: needSox }, () => {
  const file = path.join(dir, 'grow.wav')
  const w = new WavWriter(file, { sampleRate: 8000, channels: 1, format: 's16', updateEveryBytes: 1600 })
  const block = Buffer.alloc(800) // 400 frames
  w.write(block)
  assert.equal(soxFrames(file), 0, 'not updated yet: the header still says 0 frames, a valid empty file')
  w.write(block)
  assert.equal(soxFrames(file), 800, 'updated after 1600 bytes, before close()')
  w.write(block)
  w.close()
  assert.equal(soxFrames(file), 1200)
  w.close() // idempotent
})

test('at the size limit it writes whole frames up to it, then nothing; the file stays valid', { skip: needSox }, () => {
  const file = path.join(dir, 'full.wav')
  const w = new WavWriter(file, { sampleRate: 48000, channels: 2, format: 'f32', maxDataBytes: 1000 }) // 125 frames of 8 bytes
  assert.equal(w.write(Buffer.alloc(800)), 800)
  assert.equal(w.room, 200)
  assert.equal(w.write(Buffer.alloc(800)), 200)
  assert.equal(w.room, 0)
  assert.equal(w.write(Buffer.alloc(800)), 0)
  w.close()
  assert.equal(soxFrames(file), 125)
  assert.equal(fs.statSync(file).size, 58 + 1000)
})
