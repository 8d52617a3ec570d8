'use strict'
// The public `Capture` class. Runs on the JS thread: every method, every event.
// The relay thread wakes `#onReady` through a threadsafe function; it drains ready packets
// from the native side and emits them as 'data'. A stream or iterator consumer that cannot
// take more holds delivery (through the controls the capture hands it, see lib/consumer.js):
// packets then wait in the native ready queue and, once that and the pool are full, the audio
// thread drops frames (counted, 'overrun').
// Drops are always reported: the producer wakes the relay when a run of drops begins, so
// 'overrun' comes even while no packet can be made (`seq: null`); the first packet after the
// gap is flagged and reports the frames dropped since (`seq`: that packet's).
// With `reconnect`, a lost device does not end the capture: the native reconnect thread queues
// the loss ('disconnect', placed before the packet whose seq it names) and reopens the device;
// its first packet back carries the gap ('reconnect' is emitted right before its 'data').
const { EventEmitter } = require('node:events')
const { performance } = require('node:perf_hooks')
const { NativeCapture } = require('../native.js')
const { normalize } = require('./options')
const { codes, makeError, invalidType, callNative, fromNative } = require('./errors')
const { createStream } = require('./stream')
const { iteratePackets } = require('./packets')

// seq, frames, captureTime (ms since the native epoch), flags, reconnect attempts, gap frames
const META_PER_PACKET = 6
const FLAG_DISCONTINUITY = 1
const FLAG_RECONNECT = 2

function abortError(signal) {
  const err = new Error('The operation was aborted', { cause: signal.reason })
  err.name = 'AbortError'
  err.code = 'ABORT_ERR'
  return err
}

class Capture extends EventEmitter {
  #native
  #meta
  #batch
  #epoch
  #autoRelease
  #sampleRate
  #signal
  #closed = false
  #closing = null
  #stopping = false // native stopped, 'stop' not emitted yet
  #want = 'stopped' // what the last start()/stop() asked for
  #fatal = null // a device error taken from native, emitted once the packets before it are
  #draining = false
  #holds = 0
  // Packets taken from native but not emitted yet (delivery held mid-batch): [buf, info,
  // reconnect] triples from #pendingHead on (reconnect: the 'reconnect' payload, or null), and
  // [null, err, 'disconnect'] or [null, { from, to, seq }, 'devicechange']; an index, not shift(), so a large batch stays linear.
  #pending = []
  #pendingHead = 0
  #reportedDrops = 0
  #stopWaiters = [] // resolvers of stop() promises, settled when 'stop' is emitted
  // What a consumer (stream, iterator) may do to this capture's delivery, and nothing more.
  #controls = Object.freeze({
    hold: () => {
      this.#holds++
    },
    resume: () => {
      if (this.#holds > 0 && --this.#holds === 0) this.#drain()
    },
  })
  #onReady = () => this.#drain()
  #onAbort = () => this.close()

  constructor(options) {
    super()
    const { native, autoRelease, signal } = normalize(options)
    this.#native = callNative(() => new NativeCapture(native))
    this.#autoRelease = autoRelease
    this.#sampleRate = native.sampleRate
    this.#batch = native.poolSize
    // An explicit ArrayBuffer keeps the data off the V8 heap, so it never moves while the
    // native side writes it.
    this.#meta = new Float64Array(new ArrayBuffer(Math.max(256, this.#batch * META_PER_PACKET * 8)))
    this.#epoch = performance.now() - this.#native.epochAgeMs()
    this.#signal = signal
    if (signal) {
      if (signal.aborted) this.close()
      else signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  /**
   * Starts producing. Resolves once the source runs (the first packet is possible); rejects
   * with the device error (DEVICE_NOT_FOUND, …), CAPTURE_CLOSED after close(), or AbortError.
   * Already running: resolves at once and changes nothing. Called while a stop is delivering
   * its last packets, it starts once 'stop' was emitted, unless a later stop() or close()
   * asked otherwise by then (it then resolves without starting: the last call wins).
   */
  async start() {
    if (this.#signal && this.#signal.aborted) throw abortError(this.#signal)
    this.#assertOpen('start')
    this.#want = 'running'
    if (this.#stopping) {
      await this.#stopDone()
      if (this.#closed || this.#want !== 'running') return
    }
    if (callNative(() => this.#native.start(this.#onReady))) this.emit('start')
  }

  /**
   * Stops producing. The packets still queued (and a last, shorter one) are delivered as
   * 'data', then 'stop' is emitted and the promise resolves. Buffers already delivered stay
   * valid. Not running: resolves at once. Rejects with CAPTURE_CLOSED after close().
   */
  async stop() {
    this.#assertOpen('stop')
    this.#want = 'stopped'
    await this.#stopNative()
  }

  /** Stops, delivers what is queued, frees the capture and emits 'close'. Idempotent: every
   * call returns the same promise. */
  close() {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close() {
    if (this.#signal) this.#signal.removeEventListener('abort', this.#onAbort)
    const stopped = this.#stopNative()
    this.#closed = true
    // Closing ends every consumer: what is still queued is delivered, held or not.
    this.#holds = 0
    process.nextTick(() => this.#drain())
    await stopped
    this.#native.close()
    this.emit('close')
  }

  async [Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')]() {
    await this.close()
  }

  get running() {
    return !this.#closed && this.#native.running
  }

  get closed() {
    return this.#closed
  }

  /** A Readable over this capture; see lib/stream.js. */
  stream(options) {
    return createStream(this, this.#controls, options)
  }

  /** An async iterator of `{ buffer, info }`; see lib/packets.js. */
  packets(options) {
    return iteratePackets(this, this.#controls, options)
  }

  /**
   * Releases a Buffer this capture delivered as external: detaches it (its length becomes 0)
   * and its slot is back in the pool at once. Returns false for anything
   * that is not a live external Buffer of this capture. Never release a Buffer that an async
   * consumer (fs.write, socket.write) may still be reading.
   */
  release(buf) {
    if (!ArrayBuffer.isView(buf)) throw invalidType('buf', 'an instance of Buffer, TypedArray, or DataView', buf)
    return this.#native.release(buf)
  }

  /** Exact counters at this instant. See index.d.ts for every field. */
  stats() {
    const s = this.#native.stats()
    s.running = this.running
    return s
  }

  #stopNative() {
    if (this.#closed) return Promise.resolve()
    if (!this.#stopping) {
      if (!this.#native.stop()) return Promise.resolve()
      this.#stopping = true
      process.nextTick(() => this.#drain())
    }
    return this.#stopDone()
  }

  /** Settles when the stop under way emitted 'stop'. Internal resolvers, not 'stop' listeners:
   * un-awaited calls add nothing to the public emitter. */
  #stopDone() {
    return new Promise((resolve) => this.#stopWaiters.push(resolve))
  }

  #assertOpen(what) {
    if (this.#closed) throw makeError(Error, codes.CAPTURE_CLOSED, `Cannot ${what}(): the capture is closed`)
  }

  #drain() {
    if (this.#draining) return // re-entered from a 'data' listener: the outer loop continues
    this.#draining = true
    let firstError = null
    const keep = (err) => {
      // Every packet is still delivered; the first listener error is rethrown after.
      if (firstError === null) firstError = err
    }
    let emptied
    try {
      emptied = this.#pump(keep)
      // A fatal device error: stop the source, which flushes its last packets, and deliver
      // them before the error and 'stop' (nothing comes after 'stop').
      if (this.#takeSourceError()) emptied = this.#pump(keep)
    } finally {
      this.#draining = false
    }
    this.#reportDrops(null)
    if (this.#stopping && emptied && this.#holds === 0 && this.#pendingHead === this.#pending.length) {
      this.#stopping = false
      const waiters = this.#stopWaiters
      this.#stopWaiters = []
      try {
        this.#emitFatal(keep)
        this.emit('stop')
      } finally {
        for (const resolve of waiters) resolve()
      }
    }
    if (!this.#stopping) this.#emitFatal(keep) // an error after the source had stopped
    if (firstError !== null) throw firstError
  }

  /** Delivers pending and ready packets until the native queue is empty (true), delivery is
   * held, or a few batches passed (false; it continues on the next turn of the event loop). */
  #pump(keep) {
    // A full batch may have more behind it: take a few, then let the event loop turn (an
    // unpaced producer could otherwise keep it from ever turning) and continue after.
    for (let pass = 0; ; pass++) {
      while (this.#pendingHead < this.#pending.length && this.#holds === 0) {
        const [buf, info, reconnect] = this.#pending[this.#pendingHead]
        this.#pending[this.#pendingHead++] = undefined
        try {
          if (buf === null) this.emit(reconnect, info) // 'disconnect' or 'devicechange'
          else this.#emitPacket(buf, info, reconnect)
        } catch (err) {
          keep(err)
        }
      }
      if (this.#pendingHead === this.#pending.length) {
        this.#pending.length = 0
        this.#pendingHead = 0
      }
      if (this.#holds > 0) return false
      if (pass === 4) {
        setImmediate(this.#onReady)
        return false
      }
        const bufs = this.#native.drain(this.#meta)
        const m = this.#meta
        for (let i = 0; i < bufs.length; i++) {
          const o = i * META_PER_PACKET
          this.#pending.push([
            bufs[i],
            {
              seq: m[o],
              frames: m[o + 1],
              captureTime: this.#epoch + m[o + 2],
              discontinuity: (m[o + 3] & FLAG_DISCONTINUITY) !== 0,
              gapFrames: m[o + 5],
            },
            (m[o + 3] & FLAG_RECONNECT) === 0
              ? null
              : { attempts: m[o + 4], gapFrames: m[o + 5], gapMs: (m[o + 5] * 1000) / this.#sampleRate, seq: m[o] },
          ])
        }
      const lost = this.#takeDisconnects()
      if (bufs.length === 0 && !lost) return true
    }
  }

  /** Queues the device losses and default switches the native side reported, each before the
   * first pending packet whose seq is at least its own (every packet before it came before the
   * loss or from the old device). True if there were any. */
  #takeDisconnects() {
    let any = false
    const place = (seq, entry) => {
      any = true
      let i = this.#pending.length
      while (i > this.#pendingHead && this.#pending[i - 1][0] !== null && this.#pending[i - 1][1].seq >= seq) i--
      this.#pending.splice(i, 0, entry)
    }
    for (let d = this.#native.takeDisconnect(); d; d = this.#native.takeDisconnect()) {
      place(d.seq, [null, this.#sourceError(d.error), 'disconnect'])
    }
    for (let c = this.#native.takeDeviceChange(); c; c = this.#native.takeDeviceChange()) {
      place(c.seq, [null, { from: c.from, to: c.to, seq: c.seq }, 'devicechange'])
    }
    return any
  }

  /** Emits 'overrun' if frames were dropped since the last report: `seq` is the flagged
   * packet's, or null while the gap goes on (no packet yet). */
  #reportDrops(seq) {
    const total = this.#native.droppedFrames
    if (total > this.#reportedDrops) {
      const droppedFrames = total - this.#reportedDrops
      this.#reportedDrops = total
      this.emit('overrun', { droppedFrames, totalDroppedFrames: total, seq })
    }
  }

  #emitPacket(buf, info, reconnect) {
    if (info.discontinuity) this.#reportDrops(info.seq)
    if (reconnect !== null) this.emit('reconnect', reconnect)
    try {
      // A packet nobody listens to goes straight back to the pool.
      if (!this.emit('data', buf, info)) this.#native.release(buf)
    } finally {
      if (this.#autoRelease) this.#native.release(buf)
    }
  }

  /** Takes a fatal device error from native, if there is one, and stops the capture: the
   * error is emitted ('error', or a process warning without a listener) after the packets
   * captured before it, right before 'stop'. Buffers already delivered stay valid. */
  #takeSourceError() {
    const raw = this.#native.takeError()
    if (raw === null || raw === undefined) return false
    this.#fatal = this.#sourceError(raw)
    this.#want = 'stopped'
    this.#stopNative()
    return true
  }

  #emitFatal(keep) {
    const err = this.#fatal
    if (err === null) return
    this.#fatal = null
    try {
      if (this.listenerCount('error') > 0) this.emit('error', err)
      else process.emitWarning(`pcmtap capture stopped: ${err.message}`, { code: err.code })
    } catch (e) {
      keep(e)
    }
  }

  /** A native `[CODE] message` as an Error: code, message, the host's message as cause (unless
   * the native error carried its own). */
  #sourceError(raw) {
    const err = fromNative(raw)
    const sep = err.message.indexOf(': ')
    if (sep > 0 && err.cause === undefined) err.cause = new Error(err.message.slice(sep + 2))
    return err
  }
}

module.exports = { Capture }
