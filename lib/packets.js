'use strict'
// cap.packets(): `for await (const { buffer, info } of cap.packets({ autoRelease }))`. JS thread.
//
// Buffers are the capture's own (external over pool memory unless the capture copies). With
// autoRelease: true a packet is released when the next one is handed out (or at return()), so
// keep nothing past one iteration; without it, release each buffer yourself (or let GC return
// it). The first next() joins the capture and starts it if it is not running (see
// lib/consumer.js); `break`/`return`/`throw` stops it (the capture can be started again).
// Calls to next() may overlap: they settle in call order. On a closed capture next() rejects
// with CAPTURE_CLOSED at once; a capture that stops or closes ends the iteration. A consumer
// slower than the capture holds delivery once `poolSize / 2` packets wait: memory stays bounded
// and the audio thread drops (counted, 'overrun', flagged) rather than buffering without limit.
const { consumer: makeConsumer } = require('./consumer')
const { checkOptions, bool } = require('./options')

function iteratePackets(cap, controls, options) {
  const { autoRelease = false } = checkOptions(options, { autoRelease: 1 })
  bool('autoRelease', autoRelease)
  const max = Math.max(1, Math.floor(cap.stats().pool.capacity / 2))
  const queue = []
  const waiters = [] // next() calls not settled yet, in call order: { resolve, reject }
  let finished = false
  let error = null
  let previous = null

  const consumer = makeConsumer(cap, controls, {
    data(buffer, info) {
      queue.push({ buffer, info })
      if (queue.length >= max) consumer.hold()
      settle()
    },
    stop: end,
    close: end,
    error(e) {
      if (error === null) error = e
      settle()
    },
  })
  function end() {
    finished = true
    settle()
  }
  function releasePrevious() {
    if (autoRelease && previous) cap.release(previous)
    previous = null
  }
  function settle() {
    while (waiters.length > 0) {
      const w = waiters[0]
      if (queue.length > 0) {
        waiters.shift()
        const item = queue.shift()
        if (queue.length <= max / 2) consumer.resume()
        releasePrevious()
        previous = item.buffer
        w.resolve({ value: item, done: false })
      } else if (error !== null) {
        // The error ends the iteration: this call rejects, later ones are done.
        waiters.shift()
        const e = error
        error = null
        finished = true
        consumer.detach()
        w.reject(e)
      } else if (finished) {
        waiters.shift()
        consumer.detach()
        w.resolve({ value: undefined, done: true })
      } else {
        break
      }
    }
  }

  return {
    [Symbol.asyncIterator]() {
      return this
    },
    next() {
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject })
        if (!consumer.joined && !consumer.done) {
          consumer.join().catch((e) => {
            if (error === null) error = e
            settle()
          })
        }
        settle()
      })
    },
    async return() {
      releasePrevious()
      const joined = consumer.joined
      consumer.detach()
      finished = true
      if (autoRelease) for (const { buffer } of queue.splice(0)) cap.release(buffer)
      settle()
      if (joined && cap.running) await cap.stop()
      return { value: undefined, done: true }
    },
    async throw(err) {
      await this.return()
      throw err
    },
  }
}

module.exports = { iteratePackets }
