'use strict'
// The public `Capture` class. Runs on the JS thread: every method, every event.
// The relay thread wakes `#onReady` through a threadsafe function; it drains ready packets
// from the native side and emits them as 'data'.
const { EventEmitter } = require('node:events')
const { performance } = require('node:perf_hooks')
const { NativeCapture } = require('../native.js')
const { normalize } = require('./options')
const { codes, makeError, invalidType, callNative, fromNative } = require('./errors')

const META_PER_PACKET = 4 // seq, frames, captureTime (ms since the native epoch), flags
const FLAG_DISCONTINUITY = 1

class Capture extends EventEmitter {
  #native
  #meta
  #batch
  #epoch
  #autoRelease
  #closed = false
  #stopping = false
  #draining = false
  #onReady = () => this.#drain()

  constructor(options) {
    super()
    const { native, autoRelease } = normalize(options)
    this.#native = callNative(() => new NativeCapture(native))
    this.#autoRelease = autoRelease
    this.#batch = native.poolSize
    // An explicit ArrayBuffer keeps the data off the V8 heap, so it never moves while the
    // native side writes it.
    this.#meta = new Float64Array(new ArrayBuffer(Math.max(256, this.#batch * META_PER_PACKET * 8)))
    this.#epoch = performance.now() - this.#native.epochAgeMs()
  }

  /** Starts producing packets. No-op if already running. Throws CAPTURE_CLOSED after close(). */
  start() {
    this.#assertOpen('start')
    if (callNative(() => this.#native.start(this.#onReady))) this.emit('start')
  }

  /**
   * Stops producing. The packets still queued (including a last, shorter one) are delivered
   * as 'data' on the next tick, followed by 'stop'. Buffers already delivered stay valid.
   */
  stop() {
    this.#assertOpen('stop')
    this.#stopNative()
  }

  /** Stops (see stop()) and frees the capture. Idempotent. Delivered Buffers stay valid. */
  close() {
    if (this.#closed) return
    this.#stopNative()
    this.#closed = true
    this.#native.close()
    process.nextTick(() => this.emit('close'))
  }

  get running() {
    return !this.#closed && this.#native.running
  }

  get closed() {
    return this.#closed
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
    if (this.#closed || this.#stopping || !this.#native.stop()) return
    this.#stopping = true
    process.nextTick(() => {
      this.#stopping = false
      this.#drain()
      this.emit('stop')
    })
  }

  #assertOpen(what) {
    if (this.#closed) throw makeError(Error, codes.CAPTURE_CLOSED, `Cannot ${what}(): the capture is closed`)
  }

  #drain() {
    if (this.#draining) return // re-entered from a 'data' listener: the outer loop continues
    this.#draining = true
    let firstError = null
    try {
      for (;;) {
        const bufs = this.#native.drain(this.#meta)
        const m = this.#meta
        for (let i = 0; i < bufs.length; i++) {
          const buf = bufs[i]
          const o = i * META_PER_PACKET
          const info = {
            seq: m[o],
            frames: m[o + 1],
            captureTime: this.#epoch + m[o + 2],
            discontinuity: (m[o + 3] & FLAG_DISCONTINUITY) !== 0,
          }
          try {
            this.emit('data', buf, info)
          } catch (err) {
            // Every packet of the batch is still delivered; the first error is rethrown after.
            if (firstError === null) firstError = err
          }
          if (this.#autoRelease) this.#native.release(buf)
        }
        if (bufs.length < this.#batch) break
      }
    } finally {
      this.#draining = false
    }
    this.#reportSourceError()
    if (firstError !== null) throw firstError
  }

  /** A fatal device error: emitted as 'error' (code, message, host message as cause), then the
   * capture stops. Buffers already delivered stay valid. */
  #reportSourceError() {
    const raw = this.#native.takeError()
    if (raw === null || raw === undefined) return
    const err = fromNative(raw)
    const sep = err.message.indexOf(': ')
    if (sep > 0) err.cause = new Error(err.message.slice(sep + 2))
    this.#stopNative()
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else process.emitWarning(`pcmtap capture stopped: ${err.message}`, { code: err.code })
  }
}

module.exports = { Capture }
