'use strict'
// Device discovery for JS: listDevices(), defaultDevice(), hosts(), listApplications(). JS
// thread; synchronous.
const native = require('../native.js')
const { HOST_NAMES, checkOptions, bool } = require('./options')
const { invalidType, invalidValue, callNative } = require('./errors')

const KINDS = ['input', 'output', 'monitor']

function checkHost(host, name) {
  if (host === undefined) return undefined
  if (typeof host !== 'string') throw invalidType(name, 'of type string', host)
  if (!HOST_NAMES.includes(host)) throw invalidValue(name, `one of ${HOST_NAMES.map((h) => `'${h}'`).join(', ')}`, host)
  return host
}

/**
 * Devices of a host (default: the platform's), as users know them: on Linux with a PulseAudio or
 * PipeWire server, its sources and sink monitors with their descriptions. `kind` filters
 * 'input' | 'output' | 'monitor'; `all` adds ALSA plugin PCMs and server sinks. ALSA devices get
 * a `defaultConfig` only with `probe: true` (reading it opens the PCM).
 */
function listDevices(options) {
  const { host, kind, probe = false, all = false } = checkOptions(options, { host: 1, kind: 1, probe: 1, all: 1 })
  if (kind !== undefined && !KINDS.includes(kind)) throw invalidValue('kind', "one of 'input', 'output', 'monitor'", kind)
  bool('probe', probe)
  bool('all', all)
  return callNative(() => native.listDevices(checkHost(host, 'host'), kind, probe, all)).map(withNullConfig)
}

/** `defaultConfig: null` when unknown (native leaves the key out). */
function withNullConfig(d) {
  return { ...d, defaultConfig: d.defaultConfig ?? null }
}

/** The default input device of a host, or null. */
function defaultDevice(options) {
  const { host } = checkOptions(options, { host: 1 })
  const d = callNative(() => native.defaultDevice(checkHost(host, 'host')))
  return d ? withNullConfig(d) : null
}

/** `{ default, compiled }`: the host used when none is named and the hosts compiled into this build. */
function hosts() {
  return native.hosts()
}

/**
 * The applications playing audio now, one entry per process: `[{ pid, name, binary, host,
 * streams }]` (Linux: the PulseAudio or PipeWire server's playback streams). What
 * `new Capture({ application: { pid } })` records. Elsewhere: UNSUPPORTED_CONFIG.
 */
function listApplications() {
  return callNative(() => native.listApplications())
}

module.exports = { listDevices, defaultDevice, hosts, checkHost, listApplications }
