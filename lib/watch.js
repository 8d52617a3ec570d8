'use strict'
// watchDevices(): a DeviceWatcher that says when the devices listDevices() returns change.
// Runs on the JS thread: every method, every event.
//
// Linux/BSD ('alsa' and 'pulseaudio' hosts): every watcher of the process shares ONE native
// subscription (src/js/watch.rs) to the sound server's events, opened by the first watcher and
// closed by the last close(). The hub thread wakes #onWake once per burst through an unref'd
// threadsafe function; SETTLE_MS later (a sink load sends several events within a millisecond)
// the subscription is re-armed, each host's devices are listed once, and each watcher diffs them
// by id against what it saw before. Windows ('wasapi'): the same, woken by the system's endpoint
// notifications (IMMNotificationClient, src/capture/endpoint_watch.rs); macOS ('coreaudio'):
// CoreAudio's property listeners (src/capture/coreaudio_watch.rs, type-checked only). Elsewhere
// (and for 'jack', 'asio'), watchers share one unref'd POLL_MS timer instead. Neither keeps the process
// alive.
const { EventEmitter } = require('node:events')
const native = require('../native.js')
const { listDevices, checkHost, hosts } = require('./devices')
const { checkOptions } = require('./options')
const { codes, callNative } = require('./errors')

/** From the first server event of a burst to listing (the burst's later events are absorbed). */
const SETTLE_MS = 25
/** How often watchers without a subscription list the devices. */
const POLL_MS = 1000
/** The hosts whose devices the native events describe: the sound server's (Linux), the
 * system's endpoint notifications (Windows), CoreAudio's property listeners (macOS). */
const SUBSCRIBED_HOSTS = { win32: ['wasapi'], darwin: ['coreaudio'] }[process.platform] ?? ['alsa', 'pulseaudio']
/** Set to 1: watchers poll as on platforms without server events (tests of that path). */
const SIMULATE_NO_EVENTS_ENV = 'PCMTAP_SIMULATE_NO_DEVICE_EVENTS'

const kUpdate = Symbol('update')
const kToken = Symbol('DeviceWatcher')

const byMechanism = {
  subscription: { watchers: new Set(), native: null, settle: null },
  poll: { watchers: new Set(), timer: null },
}

/** The devices of `host` now; a compiled host whose server is away has none. */
function current(host) {
  try {
    return listDevices({ host })
  } catch (err) {
    if (err.code === codes.HOST_UNAVAILABLE && hosts().compiled.includes(host ?? hosts().default)) return []
    throw err
  }
}

/** The default input a list names (the server's default source on Linux), or null. */
function defaultOf(list) {
  return list.find((d) => d.isDefault && d.kind !== 'output') ?? null
}

/** What changed from `before` to `after` (by id), or null when nothing a user sees did. */
function diff(before, after) {
  const had = new Set(before.map((d) => d.id))
  const has = new Set(after.map((d) => d.id))
  const added = after.filter((d) => !had.has(d.id))
  const removed = before.filter((d) => !has.has(d.id))
  const defaultInput = defaultOf(after)
  const defaultChanged = (defaultOf(before)?.id ?? null) !== (defaultInput?.id ?? null)
  if (!added.length && !removed.length && !defaultChanged) return null
  return { added, removed, defaultChanged, defaultInput }
}

/** Lists once per host for every watcher of `watchers`; a listener's throw is rethrown after
 * every watcher had its turn (as an uncaught exception, like any throwing listener). */
function refresh(watchers) {
  const lists = new Map()
  let thrown = null
  for (const w of [...watchers]) {
    if (!watchers.has(w)) continue // closed by an earlier watcher's listener
    const key = w.host ?? ''
    if (!lists.has(key)) {
      try {
        lists.set(key, { list: current(w.host) })
      } catch (err) {
        lists.set(key, { err })
      }
    }
    try {
      w[kUpdate](lists.get(key))
    } catch (err) {
      thrown ??= err
    }
  }
  if (thrown) throw thrown
}

function onWake() {
  const s = byMechanism.subscription
  if (!s.native || s.settle) return // closed meanwhile, or a listing is already due
  s.settle = setTimeout(onSettle, SETTLE_MS)
  s.settle.unref()
}

function onSettle() {
  const s = byMechanism.subscription
  s.settle = null
  if (!s.native) return
  s.native.rearm() // before listing: an event from now on wakes again
  refresh(s.watchers)
}

function attach(w) {
  const m = byMechanism[w.mechanism]
  m.watchers.add(w)
  if (m.watchers.size > 1) return
  if (w.mechanism === 'subscription') {
    try {
      m.native = callNative(() => native.watchDevices(onWake))
    } catch (err) {
      m.watchers.delete(w)
      throw err
    }
  } else {
    m.timer = setInterval(() => refresh(m.watchers), POLL_MS)
    m.timer.unref()
  }
}

function detach(w) {
  const m = byMechanism[w.mechanism]
  if (!m.watchers.delete(w) || m.watchers.size) return
  if (w.mechanism === 'subscription') {
    m.native.close()
    m.native = null
    clearTimeout(m.settle)
    m.settle = null
  } else {
    clearInterval(m.timer)
    m.timer = null
  }
}

/** Emits 'change' when the devices of a host change; see watchDevices(). */
class DeviceWatcher extends EventEmitter {
  #host
  #mechanism
  #devices
  #closed = false

  constructor(token, host, mechanism, devices) {
    if (token !== kToken) throw Object.assign(new TypeError('Illegal constructor: use watchDevices()'), { code: 'ERR_ILLEGAL_CONSTRUCTOR' })
    super()
    this.#host = host
    this.#mechanism = mechanism
    this.#devices = devices
  }

  /** The host watched (undefined: the platform's default). */
  get host() {
    return this.#host
  }

  /** 'subscription': the sound server's events; 'poll': listDevices() every second. */
  get mechanism() {
    return this.#mechanism
  }

  get closed() {
    return this.#closed
  }

  /** Stops this watcher (the last one closes the shared subscription). Idempotent. */
  close() {
    if (this.#closed) return
    this.#closed = true
    detach(this)
  }

  [kUpdate]({ list, err }) {
    if (this.#closed) return
    if (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err)
      return
    }
    const change = diff(this.#devices, list)
    this.#devices = list
    if (change) this.emit('change', change)
  }
}

/**
 * Watches the devices of a host (`{ host }`, as listDevices takes it): the watcher emits
 * 'change' with `{ added, removed, defaultChanged, defaultInput }` when they change, and
 * 'error' (only if listened to) when listing them fails.
 */
function watchDevices(options) {
  const { host } = checkOptions(options, { host: 1 })
  checkHost(host, 'host')
  const subscribed =
    native.deviceWatchSupported() && SUBSCRIBED_HOSTS.includes(host ?? hosts().default) && process.env[SIMULATE_NO_EVENTS_ENV] !== '1'
  const devices = current(host)
  const w = new DeviceWatcher(kToken, host, subscribed ? 'subscription' : 'poll', devices)
  try {
    attach(w)
  } catch (err) {
    // The system refused its notifications (Windows: COM or the endpoint registration failed,
    // the reason in err.message): the watcher polls instead, and says so in `mechanism`.
    if (!subscribed || err.code !== codes.HOST_UNAVAILABLE) throw err
    const polled = new DeviceWatcher(kToken, host, 'poll', devices)
    attach(polled)
    return polled
  }
  return w
}

module.exports = { watchDevices, SETTLE_MS, POLL_MS }
