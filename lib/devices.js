'use strict'
// Device discovery for JS: listDevices(), defaultDevice(), hosts(). JS thread; synchronous.
const native = require('../native.js')
const { HOST_NAMES } = require('./options')
const { invalidType, invalidValue, callNative } = require('./errors')

const KINDS = ['input', 'output', 'monitor']

function checkHost(host, name) {
  if (host === undefined) return undefined
  if (typeof host !== 'string') throw invalidType(name, 'of type string', host)
  if (!HOST_NAMES.includes(host)) throw invalidValue(name, `one of ${HOST_NAMES.map((h) => `'${h}'`).join(', ')}`, host)
  return host
}

/**
 * Devices of a host (default: the platform's). `kind` filters 'input' | 'output' | 'monitor'.
 * ALSA devices get a `defaultConfig` only with `probe: true` (reading it opens the PCM).
 */
function listDevices(options = {}) {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'of type object', options)
  const { host, kind, probe = false, ...rest } = options
  const unknown = Object.keys(rest)
  if (unknown.length) throw invalidValue(unknown[0], 'one of the known options (host, kind, probe)', rest[unknown[0]])
  if (kind !== undefined && !KINDS.includes(kind)) throw invalidValue('kind', "one of 'input', 'output', 'monitor'", kind)
  if (typeof probe !== 'boolean') throw invalidType('probe', 'of type boolean', probe)
  return callNative(() => native.listDevices(checkHost(host, 'host'), kind, probe))
}

/** The default input device of a host, or null. */
function defaultDevice(options = {}) {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'of type object', options)
  return callNative(() => native.defaultDevice(checkHost(options.host, 'host'))) ?? null
}

/** `{ default, compiled }`: the platform default host and the hosts compiled into this build. */
function hosts() {
  return native.hosts()
}

module.exports = { listDevices, defaultDevice, hosts }
