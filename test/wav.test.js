'use strict'
// `pcmtap/wav` (lib/wav.js) on its own: the header of each layout parsed here and read by a real
// reader (sox's `soxi`), sizes kept right while the file grows (read back mid-write, as after a
// kill), the stop at the size limit (RIFF's 4 GiB, lowered through maxDataBytes so the test
// writes kilobytes), every bad option's code and message, and the subpath from CommonJS and ESM.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { runChild, childReport } = require('./helpers')
const { WavWriter, RIFF_MAX } = require('../lib/wav')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-wav-'))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
// soxi (Debian's sox) reads the files too where it runs: required in CI, else a check less (Wine's
// node.exe cannot spawn it; the header is parsed here either way).
const haveSox = spawnSync('soxi', ['-V0']).error === undefined && spawnSync('sox', ['--version']).status === 0
if (!haveSox && process.env.CI) throw new Error('CI must run the WAV tests with sox installed (apt-get install sox)')
let n = 0
const file = (name) => path.join(dir, `${n++}-${name}.wav`)

/** The chunks of a WAV file, parsed here: fmt fields, fact frames, data size, and sizes. */
function parse(f) {
  const b = fs.readFileSync(f)
  assert.equal(b.toString('ascii', 0, 4), 'RIFF')
  assert.equal(b.toString('ascii', 8, 12), 'WAVE')
  const out = { fileBytes: b.length, riffSize: b.readUInt32LE(4), chunks: [] }
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString('ascii', at, at + 4)
    const size = b.readUInt32LE(at + 4)
    out.chunks.push(id)
    const body = at + 8
    if (id === 'fmt ') {
      out.fmt = { tag: b.readUInt16LE(body), channels: b.readUInt16LE(body + 2), sampleRate: b.readUInt32LE(body + 4), byteRate: b.readUInt32LE(body + 8), blockAlign: b.readUInt16LE(body + 12), bits: b.readUInt16LE(body + 14), size }
      if (size === 40) out.fmt.subFormat = b.readUInt32LE(body + 24)
    } else if (id === 'fact') out.factFrames = b.readUInt32LE(body)
    else if (id === 'data') {
      out.dataAt = body
      out.dataSize = size
      break
    }
    at = body + size
  }
  return out
}

/** What soxi says: rate, channels, bits, samples (frames), encoding; null without sox. */
function soxi(f) {
  if (!haveSox) return null
  const q = (flag) => {
    const r = spawnSync('soxi', [flag, f], { encoding: 'utf8' })
    assert.equal(r.status, 0, `soxi ${flag} ${f}: ${r.stderr}`)
    return r.stdout.trim()
  }
  return { rate: Number(q('-r')), channels: Number(q('-c')), bits: Number(q('-b')), frames: Number(q('-s')), encoding: q('-e') }
}

for (const c of [
  { format: 's16', channels: 1, headerBytes: 44, tag: 1, chunks: ['fmt ', 'data'] },
  { format: 's16', channels: 2, headerBytes: 44, tag: 1, chunks: ['fmt ', 'data'] },
  { format: 's16', channels: 6, headerBytes: 68, tag: 0xfffe, sub: 1, chunks: ['fmt ', 'data'] },
  { format: 'f32', channels: 1, headerBytes: 58, tag: 3, chunks: ['fmt ', 'fact', 'data'] },
  { format: 'f32', channels: 2, headerBytes: 58, tag: 3, chunks: ['fmt ', 'fact', 'data'] },
  { format: 'f32', channels: 4, headerBytes: 80, tag: 0xfffe, sub: 3, chunks: ['fmt ', 'fact', 'data'] },
]) {
  test(`${c.format} ${c.channels} ch: the header's fields read back here and in soxi, sizes right after close()`, () => {
    const f = file(`${c.format}-${c.channels}`)
    const bytes = c.format === 'f32' ? 4 : 2
    const w = new WavWriter(f, { sampleRate: 22050, channels: c.channels, format: c.format })
    const frames = 1000
    const data = Buffer.alloc(frames * c.channels * bytes)
    for (let i = 0; i < frames * c.channels; i++) {
      if (c.format === 'f32') data.writeFloatLE(Math.sin(i / 10) / 2, i * 4)
      else data.writeInt16LE(Math.round(Math.sin(i / 10) * 16000), i * 2)
    }
    assert.equal(w.write(data), data.length)
    w.close()
    const h = parse(f)
    assert.deepEqual(h.chunks, c.chunks)
    assert.equal(h.dataAt, c.headerBytes)
    assert.deepEqual(
      { tag: h.fmt.tag, channels: h.fmt.channels, sampleRate: h.fmt.sampleRate, byteRate: h.fmt.byteRate, blockAlign: h.fmt.blockAlign, bits: h.fmt.bits },
      { tag: c.tag, channels: c.channels, sampleRate: 22050, byteRate: 22050 * c.channels * bytes, blockAlign: c.channels * bytes, bits: bytes * 8 },
    )
    if (c.sub) assert.equal(h.fmt.subFormat, c.sub, 'the extensible SubFormat GUID says PCM or IEEE float')
    assert.equal(h.dataSize, data.length)
    assert.equal(h.riffSize, h.fileBytes - 8)
    assert.equal(h.fileBytes, c.headerBytes + data.length)
    if (c.format === 'f32') assert.equal(h.factFrames, frames)
    assert.ok(fs.readFileSync(f).subarray(c.headerBytes).equals(data), 'the samples are the bytes written')
    const info = soxi(f) ?? { rate: 22050, channels: c.channels, bits: bytes * 8, frames, encoding: c.format === 'f32' ? 'Floating Point PCM' : 'Signed Integer PCM' }
    assert.deepEqual([info.rate, info.channels, info.bits, info.frames], [22050, c.channels, bytes * 8, frames])
    assert.match(info.encoding, c.format === 'f32' ? /Floating Point PCM/ : /Signed Integer PCM/)
  })
}

test('the sizes in the header follow the data while the file grows (a reader mid-write)', () => {
  const f = file('grow')
  const w = new WavWriter(f, { sampleRate: 8000, channels: 1, format: 's16', updateEveryBytes: 1600 })
  const frames = () => {
    const h = parse(f)
    assert.equal(h.riffSize, 36 + h.dataSize)
    const info = soxi(f)
    if (info) assert.equal(info.frames, h.dataSize / 2, 'soxi agrees')
    return h.dataSize / 2
  }
  assert.equal(frames(), 0, 'a valid empty file from the start')
  const block = Buffer.alloc(800) // 400 frames
  w.write(block)
  assert.equal(w.dataBytes, 800)
  assert.equal(frames(), 0, 'not updated yet: the header still says 0 frames, a valid empty file')
  w.write(block)
  assert.equal(frames(), 800, 'updated after 1600 bytes, before close()')
  w.write(block)
  w.close()
  assert.equal(frames(), 1200)
  w.close() // idempotent
  assert.equal(parse(f).dataSize, 2400)
})

test('updateEveryBytes 0 rewrites the sizes after every write; the default is one second of audio', () => {
  const f = file('every')
  const w = new WavWriter(f, { sampleRate: 8000, channels: 2, format: 'f32', updateEveryBytes: 0 })
  w.write(Buffer.alloc(8))
  assert.deepEqual([parse(f).dataSize, parse(f).factFrames], [8, 1])
  w.close()
  const g = file('second')
  const d = new WavWriter(g, { sampleRate: 8000, channels: 2, format: 'f32' }) // 64000 bytes a second
  d.write(Buffer.alloc(63992))
  assert.equal(parse(g).dataSize, 0)
  d.write(Buffer.alloc(8))
  assert.equal(parse(g).dataSize, 64000)
  d.close()
})

test('at the size limit it writes whole frames up to it, then nothing; the file stays valid', () => {
  const f = file('full')
  const w = new WavWriter(f, { sampleRate: 48000, channels: 2, format: 'f32', maxDataBytes: 1001 }) // 125 frames of 8 bytes, and 1 byte no frame fills
  assert.equal(w.write(Buffer.alloc(800)), 800)
  assert.equal(w.room, 200)
  assert.equal(w.write(Buffer.alloc(800)), 200)
  assert.equal(w.room, 0)
  assert.equal(w.write(Buffer.alloc(800)), 0)
  w.close()
  assert.deepEqual([parse(f).dataSize, parse(f).factFrames], [1000, 125])
  if (haveSox) assert.equal(soxi(f).frames, 125)
  assert.equal(fs.statSync(f).size, 58 + 1000)
  const r = new WavWriter(file('riff'), {})
  assert.equal(r.room, RIFF_MAX - 36 - 3, "by default: RIFF's 32-bit size less the header, in whole frames")
  r.close() // an open file keeps its directory from being removed on Windows
})

test('defaults are a Capture\'s (48000 Hz, 2 ch, s16); undefined options take them; typed arrays are written as their bytes', () => {
  const f = file('defaults')
  const w = new WavWriter(f, { sampleRate: undefined, channels: undefined, format: undefined })
  assert.equal(w.write(new Int16Array([1, -1, 2, -2])), 8)
  assert.equal(w.write(new DataView(new ArrayBuffer(8), 0, 4)), 4)
  w.close()
  const h = parse(f)
  assert.deepEqual([h.fmt.sampleRate, h.fmt.channels, h.fmt.bits, h.dataSize], [48000, 2, 16, 12])
  const data = fs.readFileSync(f).subarray(44)
  assert.deepEqual([data.readInt16LE(0), data.readInt16LE(2), data.readInt16LE(6)], [1, -1, -2])
  new WavWriter(file('no-options')).close()
})

test('each bad option throws naming it and what is allowed, with a stable code, before the file exists', () => {
  const cases = [
    [null, TypeError, 'ERR_INVALID_ARG_TYPE', /^The "options" option must be of type object\. Received null$/],
    [{ sampleRat: 48000 }, TypeError, 'ERR_INVALID_ARG_VALUE', /^The "sampleRat" option must be one of the known options \(sampleRate, channels, format, updateEveryBytes, maxDataBytes\)\. Received 48000$/],
    [{ sampleRate: '48000' }, TypeError, 'ERR_INVALID_ARG_TYPE', /^The "sampleRate" option must be of type number\. Received '48000'$/],
    [{ sampleRate: 500 }, RangeError, 'ERR_OUT_OF_RANGE', /^The value of "sampleRate" is out of range\. It must be an integer >= 1000 and <= 384000\. Received 500$/],
    [{ sampleRate: 44100.5 }, RangeError, 'ERR_OUT_OF_RANGE', /"sampleRate".*Received 44100\.5$/],
    [{ channels: 0 }, RangeError, 'ERR_OUT_OF_RANGE', /^The value of "channels" is out of range\. It must be an integer >= 1 and <= 32\. Received 0$/],
    [{ format: 's24' }, TypeError, 'ERR_INVALID_ARG_VALUE', /^The "format" option must be one of 's16', 'f32'\. Received 's24'$/],
    [{ format: 16 }, TypeError, 'ERR_INVALID_ARG_TYPE', /^The "format" option must be of type string\. Received 16$/],
    [{ updateEveryBytes: -1 }, RangeError, 'ERR_OUT_OF_RANGE', /^The value of "updateEveryBytes" is out of range\. It must be an integer >= 0 and <= 4294967295\. Received -1$/],
    [{ maxDataBytes: Infinity }, RangeError, 'ERR_OUT_OF_RANGE', /^The value of "maxDataBytes" is out of range\. It must be an integer >= 0 and <= 4294967295\. Received Infinity$/],
    [{ get channels() { throw new Error('boom') } }, TypeError, 'ERR_INVALID_ARG_VALUE', /^The "channels" option could not be read: boom$/],
  ]
  for (const [options, Ctor, code, message] of cases) {
    const f = file('bad')
    assert.throws(() => new WavWriter(f, options), (err) => {
      assert.ok(err instanceof Ctor, `${err.constructor.name}: ${err.message}`)
      assert.equal(err.code, code, err.message)
      assert.match(err.message, message)
      return true
    }, String(message))
    assert.equal(fs.existsSync(f), false, `${message}: no file is created`)
  }
})

test('write() takes whole frames of an ArrayBufferView, and nothing after close()', () => {
  const w = new WavWriter(file('write'), { channels: 2, format: 'f32' })
  assert.throws(() => w.write('abcdefgh'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /^The "buf" option must be an instance of Buffer, TypedArray, or DataView\. Received 'abcdefgh'$/ })
  assert.throws(() => w.write(Buffer.alloc(12)), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /^The value of "buf\.byteLength" is out of range\. It must be a multiple of 8 \(whole frames: 2 channels of f32\)\. Received 12$/ })
  assert.equal(w.dataBytes, 0)
  w.close()
  assert.throws(() => w.write(Buffer.alloc(8)), { code: 'ERR_INVALID_STATE', message: 'Cannot write(): the WAV file is closed' })
})

test('a file that cannot be created throws the fs error (ENOENT); a bad path, Node\'s own type error', () => {
  assert.throws(() => new WavWriter(path.join(dir, 'no', 'such', 'dir.wav'), {}), { code: 'ENOENT' })
  assert.throws(() => new WavWriter(42, {}), { code: 'ERR_INVALID_ARG_TYPE', message: /"path"/ })
})

test("require('pcmtap/wav') and import { WavWriter } from 'pcmtap/wav' give the same class (package exports)", () => {
  const f = file('esm')
  const code = `
    import { WavWriter, RIFF_MAX } from 'pcmtap/wav'
    import { createRequire } from 'node:module'
    const cjs = createRequire(import.meta.url)('pcmtap/wav')
    if (WavWriter !== cjs.WavWriter || RIFF_MAX !== cjs.RIFF_MAX) throw new Error('ESM and CJS differ')
    if (cjs.WavWriter !== createRequire(import.meta.url)(${JSON.stringify(path.join(__dirname, '..', 'lib', 'wav.js'))}).WavWriter) throw new Error('not lib/wav.js')
    const w = new WavWriter(${JSON.stringify(f)}, { sampleRate: 16000, channels: 1 })
    console.log(w.write(Buffer.alloc(320)), Object.keys(cjs).join())
    w.close()`
  const r = runChild(code, { args: ['--input-type=module'] })
  assert.equal(r.status, 0, childReport(r))
  assert.equal(r.stdout.trim(), '320 WavWriter,RIFF_MAX')
  assert.equal(parse(f).dataSize, 320)
})
