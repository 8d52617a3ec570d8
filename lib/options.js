'use strict'
// Validation and normalization of `new Capture(options)`, before anything native is touched.
// Runs on the JS thread. Every rule names the option, the value and what is allowed.
//
// Each option is read exactly once (`readOnce`, `listOnce`): getters, Proxy traps and sparse
// arrays are read into plain values first, then those values are validated, then exactly those
// values go to the native side. A getter or trap that throws, or a revoked Proxy, is an
// ERR_INVALID_ARG_VALUE naming the option (the thrown error as `cause`).
const { invalidType, invalidValue, outOfRange, makeError } = require('./errors')

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
  reconnect: false,
  followDefault: true,
  application: undefined,
})
const SYNTHETIC_DEFAULTS = Object.freeze({
  waveform: 'sine',
  frequency: 1000,
  amplitude: 0.5,
  paced: true,
  blockFrames: 512,
  sampleFormat: 'f32',
})

/** `reconnect: true`, and the keys of `reconnect: { ... }` (ms; see normalizeReconnect). */
const RECONNECT_DEFAULTS = Object.freeze({
  initialDelay: 100,
  maxDelay: undefined, // max(1000, initialDelay)
  giveUpAfter: undefined, // never
})
const MAX_INITIAL_DELAY = 60_000
const MAX_MAX_DELAY = 300_000
const MIN_GIVE_UP = 100
const MAX_GIVE_UP = 86_400_000

/** Largest `synthetic.blockFrames` list. */
const MAX_BLOCK_LIST = 1024

const unreadable = (name, cause) => {
  const err = makeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option could not be read: ${cause && cause.message}`)
  err.cause = cause
  return err
}

/** `f()`, with anything it throws turned into ERR_INVALID_ARG_VALUE naming `name`. */
function guarded(name, f) {
  try {
    return f()
  } catch (cause) {
    throw unreadable(name, cause)
  }
}

function isPlainObject(v, name) {
  return typeof v === 'object' && v !== null && !guarded(name, () => Array.isArray(v))
}

/** Reads `obj`'s own enumerable keys once each into a plain object; any key not in `allowed`
 * is an error. */
function readOnce(obj, allowed, prefix, name) {
  const out = {}
  for (const key of guarded(name, () => Object.keys(obj))) {
    const value = guarded(`${prefix}${key}`, () => obj[key])
    if (!Object.prototype.hasOwnProperty.call(allowed, key)) {
      throw invalidValue(`${prefix}${key}`, `one of the known options (${Object.keys(allowed).join(', ')})`, value)
    }
    out[key] = value
  }
  return out
}

/** An array read once, holes as undefined, after checking its length with `checkLength`. */
function listOnce(name, arr, checkLength) {
  const len = guarded(name, () => arr.length)
  checkLength(len)
  const out = new Array(len)
  for (let i = 0; i < len; i++) out[i] = guarded(`${name}[${i}]`, () => arr[i])
  return out
}

/** An options argument: an object (or undefined) with only `allowed`'s keys, read once. */
function checkOptions(options, allowed) {
  if (options === undefined) return {}
  if (!isPlainObject(options, 'options')) throw invalidType('options', 'of type object', options)
  return readOnce(options, allowed, '', 'options')
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

/** The packet layout rules, shared by `new Capture()` and `new WavWriter()` (lib/wav.js). */
const sampleRateOption = (v) => int('sampleRate', v, 1000, 384000)
const channelsOption = (v) => int('channels', v, 1, 32)
const formatOption = (v) => oneOf('format', v, ['s16', 'f32'])

function pick(obj, defaults, key) {
  return obj[key] === undefined ? defaults[key] : obj[key]
}

function normalizeSynthetic(raw, sampleRate) {
  if (raw === undefined) raw = {}
  if (!isPlainObject(raw, 'synthetic')) throw invalidType('synthetic', 'of type object', raw)
  raw = readOnce(raw, SYNTHETIC_DEFAULTS, 'synthetic.', 'synthetic')
  const get = (k) => pick(raw, SYNTHETIC_DEFAULTS, k)
  const bf = get('blockFrames')
  let blocks
  if (guarded('synthetic.blockFrames', () => Array.isArray(bf))) {
    blocks = listOnce('synthetic.blockFrames', bf, (len) => {
      if (len === 0 || len > MAX_BLOCK_LIST) {
        throw invalidValue('synthetic.blockFrames', `an integer or an array of 1 to ${MAX_BLOCK_LIST} integers`, bf)
      }
    })
    blocks = blocks.map((n, i) => int(`synthetic.blockFrames[${i}]`, n, 1, 65536))
  } else {
    blocks = [int('synthetic.blockFrames', bf, 1, 65536)]
  }
  return {
    waveform: oneOf('synthetic.waveform', get('waveform'), ['sine', 'silence', 'counter']),
    frequency: num('synthetic.frequency', get('frequency'), 0, sampleRate / 2, { exclusiveMin: true, exclusiveMax: true }),
    amplitude: num('synthetic.amplitude', get('amplitude'), 0, 1),
    paced: bool('synthetic.paced', get('paced')),
    blockFrames: blocks,
    sampleFormat: oneOf('synthetic.sampleFormat', get('sampleFormat'), ['i16', 'i32', 'f32']),
  }
}

/** `reconnect`: false, true, or `{ initialDelay, maxDelay, giveUpAfter }` (ms). Returns the
 * native form (undefined: off). Only device sources reconnect. */
function normalizeReconnect(raw, source) {
  if (raw === false) return undefined
  if (raw !== true && !isPlainObject(raw, 'reconnect')) {
    throw invalidType('reconnect', 'a boolean or an object { initialDelay, maxDelay, giveUpAfter }', raw)
  }
  if (source !== 'device') throw invalidValue('reconnect', "false unless source is 'device' (only a device can come back)", raw)
  const r = raw === true ? {} : readOnce(raw, RECONNECT_DEFAULTS, 'reconnect.', 'reconnect')
  const get = (k) => pick(r, RECONNECT_DEFAULTS, k)
  const initialDelay = int('reconnect.initialDelay', get('initialDelay'), 10, MAX_INITIAL_DELAY)
  const md = get('maxDelay')
  const maxDelay = md === undefined ? Math.max(1000, initialDelay) : int('reconnect.maxDelay', md, initialDelay, MAX_MAX_DELAY)
  const gu = get('giveUpAfter')
  const giveUpAfter = gu === undefined ? undefined : int('reconnect.giveUpAfter', gu, MIN_GIVE_UP, MAX_GIVE_UP)
  return { initialDelay, maxDelay, giveUpAfter }
}

function normalizeDevice(d) {
  if (d === undefined) return {}
  if (typeof d === 'string') {
    if (d.length === 0) throw invalidValue('device', 'a non-empty id or name', d)
    return { device: d }
  }
  if (isPlainObject(d, 'device')) {
    const { id } = readOnce(d, { id: true }, 'device.', 'device')
    if (typeof id !== 'string' || id.length === 0) throw invalidType('device.id', 'a non-empty string', id)
    return { deviceId: id }
  }
  throw invalidType('device', 'a string (id or name) or an object { id }', d)
}

/** `application: { pid } | { name }`: exactly one key. Returns the native form, or undefined. */
function normalizeApplication(raw) {
  if (raw === undefined) return undefined
  if (!isPlainObject(raw, 'application')) throw invalidType('application', 'an object { pid } or { name }', raw)
  const a = readOnce(raw, { pid: 1, name: 1 }, 'application.', 'application')
  const keys = Object.keys(a)
  if (keys.length !== 1) throw invalidValue('application', 'an object with exactly one of pid, name', raw)
  if (keys[0] === 'pid') return { pid: int('application.pid', a.pid, 1, 4294967295) }
  if (typeof a.name !== 'string') throw invalidType('application.name', 'of type string', a.name)
  if (a.name.length === 0 || a.name.length > 256) throw invalidValue('application.name', 'a name of 1 to 256 characters', a.name)
  return { name: a.name }
}

/** `loopback: { exclude: [pid, ...] }`: 1 to 64 process ids. Returns the list. */
function normalizeExclude(raw) {
  const o = readOnce(raw, { exclude: 1 }, 'loopback.', 'loopback')
  const list = o.exclude
  if (!guarded('loopback.exclude', () => Array.isArray(list))) throw invalidType('loopback.exclude', 'an array of process ids', list)
  return listOnce('loopback.exclude', list, (len) => {
    if (len === 0 || len > 64) throw invalidValue('loopback.exclude', 'an array of 1 to 64 process ids', list)
  }).map((pid, i) => int(`loopback.exclude[${i}]`, pid, 1, 4294967295))
}

/** Returns `{ native, autoRelease, signal }`: the full option set for the native side, read
 * once and validated, or throws. */
function normalize(options) {
  if (options === undefined) options = {}
  if (!isPlainObject(options, 'options')) throw invalidType('options', 'of type object', options)
  options = readOnce(options, DEFAULTS, '', 'options')
  const get = (k) => pick(options, DEFAULTS, k)
  const source = oneOf('source', get('source'), ['device', 'synthetic'])
  const sampleRate = sampleRateOption(get('sampleRate'))
  const channels = channelsOption(get('channels'))
  const host = get('host') === undefined ? undefined : oneOf('host', get('host'), HOST_NAMES)
  const { device, deviceId } = normalizeDevice(get('device'))
  const rawLoopback = get('loopback')
  // `loopback: { exclude: [pid, ...] }`: what the machine plays less those applications' audio.
  const exclude = isPlainObject(rawLoopback, 'loopback') ? normalizeExclude(rawLoopback) : undefined
  const loopback = exclude === undefined ? bool('loopback', rawLoopback) : false
  if ((loopback || exclude) && (device !== undefined || deviceId !== undefined)) {
    throw invalidValue('loopback', 'false when "device" is given (loopback picks the default output)', rawLoopback)
  }
  let application = normalizeApplication(get('application'))
  if (application && exclude) throw invalidValue('application', 'undefined with loopback: { exclude } (one or the other)', get('application'))
  if (exclude) application = { exclude }
  if (application) {
    if (source !== 'device') throw invalidValue(exclude ? 'loopback' : 'application', "undefined unless source is 'device'", exclude ? rawLoopback : get('application'))
    if (device !== undefined || deviceId !== undefined || loopback) {
      throw invalidValue('application', 'undefined when "device" or "loopback: true" is given (it records an application, not a device)', get('application'))
    }
    if (get('reconnect') !== false && get('reconnect') !== undefined) {
      throw invalidValue('reconnect', 'false with an application capture (it follows the application instead)', get('reconnect'))
    }
  }
  let channelMap = get('channelMap')
  if (channelMap !== undefined) {
    const map = channelMap
    if (!guarded('channelMap', () => Array.isArray(map))) throw invalidType('channelMap', 'an array of channel indices', map)
    channelMap = listOnce('channelMap', map, (len) => {
      if (len !== channels) throw invalidValue('channelMap', `an array of ${channels} entries (one per output channel)`, map)
    }).map((c, i) => int(`channelMap[${i}]`, c, 0, 31))
  }
  const bufferFrames = get('bufferFrames') === undefined ? undefined : int('bufferFrames', get('bufferFrames'), 16, 65536)
  const format = formatOption(get('format'))
  const maxFrames = Math.floor(SLOT_BYTES / (channels * BYTES[format]))
  const framesPerPacket = int('framesPerPacket', get('framesPerPacket'), 1, maxFrames)
  const poolSize = int('poolSize', get('poolSize'), 1, MAX_POOL_SIZE)
  const lw = get('lowWaterMark')
  const lowWaterMark = lw === undefined ? Math.floor(poolSize / 4) : int('lowWaterMark', lw, 0, poolSize - 1)
  const signal = get('signal')
  if (signal !== undefined && !guarded('signal', () => signal instanceof AbortSignal)) {
    throw invalidType('signal', 'an instance of AbortSignal', signal)
  }
  // The synthetic source's options exist only for it: given with a device, they are an error
  // (not silently ignored), and a device's rate is never checked against them.
  if (source !== 'synthetic' && get('synthetic') !== undefined) {
    throw invalidValue('synthetic', "undefined unless source is 'synthetic'", get('synthetic'))
  }
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
      synthetic: source === 'synthetic' ? normalizeSynthetic(get('synthetic'), sampleRate) : undefined,
      reconnect: application ? undefined : normalizeReconnect(get('reconnect'), source),
      application,
      // A capture of the default follows it unless told not to; any other capture ignores it.
      followDefault: bool('followDefault', get('followDefault')),
    },
  }
}

module.exports = { normalize, checkOptions, bool, int, sampleRateOption, channelsOption, formatOption, DEFAULTS, SYNTHETIC_DEFAULTS, RECONNECT_DEFAULTS, SLOT_BYTES, MAX_POOL_SIZE, MAX_BLOCK_LIST, HOST_NAMES }
