'use strict'
// What cap.stream() and cap.packets() share: joining a capture and holding its delivery while
// the consumer is full. JS thread. The capture hands each consumer its controls ({ hold,
// resume }), so nothing here needs the Capture class (no import circle).
//
// A consumer joins lazily, at its first read: it subscribes then and starts the capture if it
// is not running. A consumer nobody reads has not joined, so it holds nothing. Once joined and
// until it ends, a full consumer holds the capture's delivery, for every listener: one capture
// has one pace.
const { codes, makeError } = require('./errors')

const closedError = () => makeError(Error, codes.CAPTURE_CLOSED, 'Cannot read from a closed capture')

/** Returns the controls of one consumer of `cap`; `handlers` ({ event: listener }) are
 * subscribed at join(). */
function consumer(cap, controls, handlers) {
  const events = Object.entries(handlers)
  let state = 'idle' // 'idle' -> 'joined' -> 'done'; or 'idle' -> 'done'
  let held = false
  return {
    get joined() {
      return state === 'joined'
    },
    get done() {
      return state === 'done'
    },
    /** Subscribes and starts the capture (a no-op if it runs). Returns the start() promise, or
     * a rejection with CAPTURE_CLOSED if the capture is closed. Only the first call joins. */
    join() {
      if (state !== 'idle') return Promise.resolve()
      if (cap.closed) {
        state = 'done'
        return Promise.reject(closedError())
      }
      state = 'joined'
      for (const [event, fn] of events) cap.on(event, fn)
      return cap.start()
    },
    /** The consumer is full: hold delivery (packets wait natively, then the audio thread drops). */
    hold() {
      if (state === 'joined' && !held) {
        held = true
        controls.hold()
      }
    },
    /** The consumer has room again. */
    resume() {
      if (held) {
        held = false
        controls.resume()
      }
    },
    /** Unsubscribes and lets delivery go on. Idempotent. */
    detach() {
      if (state === 'joined') for (const [event, fn] of events) cap.off(event, fn)
      state = 'done'
      this.resume()
    },
  }
}

module.exports = { consumer, closedError }
