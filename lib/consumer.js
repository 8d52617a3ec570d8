'use strict'
// What cap.stream() and cap.packets() share: subscribing to a capture's events and holding its
// delivery while the consumer is full (see lib/capture.js). JS thread.
const { kPause, kResume } = require('./capture')

/** Subscribes `handlers` ({ event: listener }) to `cap`; returns the consumer's controls. */
function attach(cap, handlers) {
  const events = Object.entries(handlers)
  for (const [event, fn] of events) cap.on(event, fn)
  let held = false
  let attached = true
  return {
    get attached() {
      return attached
    },
    /** The consumer is full: hold delivery (packets wait natively, then the audio thread drops). */
    hold() {
      if (!held) {
        held = true
        cap[kPause]()
      }
    },
    /** The consumer has room again. */
    resume() {
      if (held) {
        held = false
        cap[kResume]()
      }
    },
    /** Unsubscribes and lets delivery go on. Idempotent. */
    detach() {
      if (!attached) return
      attached = false
      for (const [event, fn] of events) cap.off(event, fn)
      this.resume()
    },
  }
}

module.exports = { attach }
