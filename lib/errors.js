'use strict'
// Errors with stable `err.code`s, in one place. Runs on the JS thread.

/** Codes pcmtap itself raises (besides Node's ERR_INVALID_ARG_* / ERR_OUT_OF_RANGE). */
const codes = Object.freeze({
  CAPTURE_CLOSED: 'CAPTURE_CLOSED',
  ABORT_ERR: 'ABORT_ERR',
  DEVICE_NOT_FOUND: 'DEVICE_NOT_FOUND',
  DEVICE_AMBIGUOUS: 'DEVICE_AMBIGUOUS',
  HOST_UNAVAILABLE: 'HOST_UNAVAILABLE',
  UNSUPPORTED_CONFIG: 'UNSUPPORTED_CONFIG',
  DEVICE_BUSY: 'DEVICE_BUSY',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  DEVICE_LOST: 'DEVICE_LOST',
  STREAM_ERROR: 'STREAM_ERROR',
  THREAD_SPAWN_FAILED: 'THREAD_SPAWN_FAILED',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  APPLICATION_NOT_FOUND: 'APPLICATION_NOT_FOUND',
  APPLICATION_EXITED: 'APPLICATION_EXITED',
  NATIVE_ERROR: 'NATIVE_ERROR',
})

function makeError(Ctor, code, message) {
  const err = new Ctor(message)
  err.code = code
  return err
}

/** What a received value was, for a message. Never throws (Proxies, revoked ones, getters). */
function describe(value) {
  if (value === null) return 'null'
  if (typeof value === 'string') return `'${value.length > 64 ? `${value.slice(0, 64)}...` : value}'`
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') return String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  if (typeof value === 'function') return 'a function'
  try {
    if (Array.isArray(value)) return 'an array'
    const ctor = value.constructor
    return `an instance of ${typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name ? ctor.name : 'Object'}`
  } catch {
    return 'an object that cannot be inspected'
  }
}

const invalidType = (name, expected, value) =>
  makeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" option must be ${expected}. Received ${describe(value)}`)
const invalidValue = (name, allowed, value) =>
  makeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The "${name}" option must be ${allowed}. Received ${describe(value)}`)
const outOfRange = (name, range, value) =>
  makeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${describe(value)}`)

/** Native errors carry their code as a `[CODE] message` prefix, and what the layer below said
 * (libasound's messages, …) after a `\n[cause] ` line, which becomes `err.cause` (src/js/errors.rs). */
function fromNative(err) {
  if (typeof err === 'string') err = new Error(err)
  const m = /^\[([A-Z_]+)\] ([\s\S]*?)(?:\n\[cause\] ([\s\S]*))?$/.exec(err && err.message)
  if (!m) return Object.assign(err, { code: err.code && /^[A-Z_]+$/.test(err.code) ? err.code : codes.NATIVE_ERROR })
  const Ctor = m[1].startsWith('ERR_INVALID_ARG') ? TypeError : Error
  const out = makeError(Ctor, m[1], m[2])
  if (m[3] !== undefined) out.cause = new Error(m[3])
  return out
}

function callNative(fn) {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = { codes, makeError, invalidType, invalidValue, outOfRange, callNative, fromNative }
