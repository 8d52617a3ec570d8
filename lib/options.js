'use strict'
// Validation and normalization of `new Capture(options)`, before anything native is touched.
// Runs on the JS thread. Every rule names the option, the value and what is allowed.
const { invalidType, invalidValue, outOfRange } = require('./errors')

const SLOT_BYTES = 4096
const MAX_POOL_SIZE = 65536
const BYTES = { s16: 2, f32: 4 }

/** Hosts the `host` option names; only those compiled into the addon open (see hosts()). */
const HOST_NAMES = ['alsa', 'pulseaudio', 'jack', 'wasapi', 'coreaudio']

const DEFAULTS = Object.freeze({
  source: 'device',
  host: undefined,
  device: undefined,
  loopback: false,
  channelMap: undefined,
  bufferFrames: undefined,
  sampleRate: 48000,
  channels: 2,
  format: 's16',
  framesPerPacket: 480,
  poolSize: 64,
  useExternalBuffer: true,
  autoRelease: false,
  lowWaterMark: undefined, // floor(poolSize / 4)
  signal: undefined,
  synthetic: undefined,
})
const SYNTHETIC_DEFAULTS = Object.freeze({
  waveform: 'sine',
  frequency: 1000,
  amplitude: 0.5,
  paced: true,
  blockFrames: 512,
  sampleFormat: 'f32',
})

function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkKeys(obj, allowed, prefix) {
  for (const key of Object.keys(obj)) {
    if (!Object.prototype.hasOwnProperty.call(allowed, key)) {
      throw invalidValue(`${prefix}${key}`, `one of the known options (${Object.keys(allowed).join(', ')})`, obj[key])
    }
  }
}

/** An options argument: an object (or undefined) with only `allowed`'s keys. */
function checkOptions(options, allowed) {
  if (options === undefined) return {}
  if (!isPlainObject(options)) throw invalidType('options', 'of type object', options)
  checkKeys(options, allowed, '')
  return options
}

function int(name, v, min, max) {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v)
  if (!Number.isInteger(v) || v < min || v > max) throw outOfRange(name, `an integer >= ${min} and <= ${max}`, v)
  return v
}

function num(name, v, min, max, { exclusiveMin = false, exclusiveMax = false } = {}) {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v)
  const lo = exclusiveMin ? v > min : v >= min
  const hi = exclusiveMax ? v < max : v <= max
  if (!Number.isFinite(v) || !lo || !hi) {
    throw outOfRange(name, `${exclusiveMin ? '>' : '>='} ${min} and ${exclusiveMax ? '<' : '<='} ${max}`, v)
  }
  return v
}

function bool(name, v) {
  if (typeof v !== 'boolean') throw invalidType(name, 'of type boolean', v)
  return v
}

function oneOf(name, v, allowed) {
  if (typeof v !== 'string') throw invalidType(name, 'of type string', v)
  if (!allowed.includes(v)) throw invalidValue(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v)
  return v
}

function pick(obj, defaults, key) {
  return obj[key] === undefined ? defaults[key] : obj[key]
}

function normalizeSynthetic(raw, sampleRate) {
  if (raw === undefined) raw = {}
  if (!isPlainObject(raw)) throw invalidType('synthetic', 'of type object', raw)
  checkKeys(raw, SYNTHETIC_DEFAULTS, 'synthetic.')
  const get = (k) => pick(raw, SYNTHETIC_DEFAULTS, k)
  let blocks = get('blockFrames')
  if (!Array.isArray(blocks)) blocks = [blocks]
  if (blocks.length === 0) throw invalidValue('synthetic.blockFrames', 'an integer or a non-empty array of integers', blocks)
  blocks = blocks.map((n, i) => int(`synthetic.blockFrames${Array.isArray(get('blockFrames')) ? `[${i}]` : ''}`, n, 1, 65536))
  return {
    waveform: oneOf('synthetic.waveform', get('waveform'), ['sine', 'silence', 'counter']),
    frequency: num('synthetic.frequency', get('frequency'), 0, sampleRate / 2, { exclusiveMin: true, exclusiveMax: true }),
    amplitude: num('synthetic.amplitude', get('amplitude'), 0, 1),
    paced: bool('synthetic.paced', get('paced')),
    blockFrames: blocks,
    sampleFormat: oneOf('synthetic.sampleFormat', get('sampleFormat'), ['i16', 'i32', 'f32']),
  }
}

function normalizeDevice(d) {
  if (d === undefined) return {}
  if (typeof d === 'string') {
    if (d.length === 0) throw invalidValue('device', 'a non-empty id or name', d)
    return { device: d }
  }
  if (isPlainObject(d)) {
    checkKeys(d, { id: true }, 'device.')
    if (typeof d.id !== 'string' || d.id.length === 0) throw invalidType('device.id', 'a non-empty string', d.id)
    return { deviceId: d.id }
  }
  throw invalidType('device', 'a string (id or name) or an object { id }', d)
}

/** Returns `{ native, autoRelease }`: the full option set for the native side, or throws. */
function normalize(options) {
  if (options === undefined) options = {}
  if (!isPlainObject(options)) throw invalidType('options', 'of type object', options)
  checkKeys(options, DEFAULTS, '')
  const get = (k) => pick(options, DEFAULTS, k)
  const source = oneOf('source', get('source'), ['device', 'synthetic'])
  const sampleRate = int('sampleRate', get('sampleRate'), 1000, 384000)
  const channels = int('channels', get('channels'), 1, 32)
  const host = get('host') === undefined ? undefined : oneOf('host', get('host'), HOST_NAMES)
  const { device, deviceId } = normalizeDevice(get('device'))
  const loopback = bool('loopback', get('loopback'))
  if (loopback && (device !== undefined || deviceId !== undefined)) {
    throw invalidValue('loopback', 'false when "device" is given (loopback picks the default output)', loopback)
  }
  let channelMap = get('channelMap')
  if (channelMap !== undefined) {
    if (!Array.isArray(channelMap)) throw invalidType('channelMap', 'an array of channel indices', channelMap)
    if (channelMap.length !== channels) throw invalidValue('channelMap', `an array of ${channels} entries (one per output channel)`, channelMap)
    channelMap = channelMap.map((c, i) => int(`channelMap[${i}]`, c, 0, 31))
  }
  const bufferFrames = get('bufferFrames') === undefined ? undefined : int('bufferFrames', get('bufferFrames'), 16, 65536)
  const format = oneOf('format', get('format'), ['s16', 'f32'])
  const maxFrames = Math.floor(SLOT_BYTES / (channels * BYTES[format]))
  const framesPerPacket = int('framesPerPacket', get('framesPerPacket'), 1, maxFrames)
  const poolSize = int('poolSize', get('poolSize'), 1, MAX_POOL_SIZE)
  const lw = get('lowWaterMark')
  const lowWaterMark = lw === undefined ? Math.floor(poolSize / 4) : int('lowWaterMark', lw, 0, poolSize - 1)
  const signal = get('signal')
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidType('signal', 'an instance of AbortSignal', signal)
  return {
    signal,
    autoRelease: bool('autoRelease', get('autoRelease')),
    native: {
      source,
      host,
      device,
      deviceId,
      loopback,
      channelMap,
      bufferFrames,
      sampleRate,
      channels,
      format,
      framesPerPacket,
      poolSize,
      useExternalBuffer: bool('useExternalBuffer', get('useExternalBuffer')),
      lowWaterMark,
      synthetic: normalizeSynthetic(get('synthetic'), sampleRate),
    },
  }
}

module.exports = { normalize, checkOptions, bool, DEFAULTS, SYNTHETIC_DEFAULTS, SLOT_BYTES, MAX_POOL_SIZE, HOST_NAMES }
