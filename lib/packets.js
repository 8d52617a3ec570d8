'use strict'
// cap.packets(): `for await (const { buffer, info } of cap.packets({ autoRelease }))`. JS thread.
//
// Buffers are the capture's own (external over pool memory unless the capture copies). With
// autoRelease: true the previous packet is released when the next is pulled, so keep nothing
// past one iteration; without it, release each buffer yourself (or let GC return it). The
// iterator starts the capture if it is not running; `break`/`return`/`throw` stops it (the
// capture can be started again). A consumer slower than the capture holds delivery once
// `poolSize / 2` packets wait: memory stays bounded and the audio thread drops (counted,
// 'overrun', flagged) rather than buffering without limit.
const { attach } = require('./consumer')
const { checkOptions, bool } = require('./options')

function iteratePackets(cap, options = {}) {
  const { autoRelease = false } = checkOptions(options, { autoRelease: 1 })
  bool('autoRelease', autoRelease)
  const max = Math.max(1, Math.floor(cap.stats().pool.capacity / 2))
  const queue = []
  let finished = false
  let error = null
  let wake = null
  let previous = null
  let started = null

  const notify = () => {
    const w = wake
    wake = null
    if (w) w()
  }
  const consumer = attach(cap, {
    data(buffer, info) {
      queue.push({ buffer, info })
      if (queue.length >= max) consumer.hold()
      notify()
    },
    stop() {
      finished = true
      notify()
    },
    close() {
      finished = true
      notify()
    },
    error(e) {
      error = e
      notify()
    },
  })
  function releasePrevious() {
    if (autoRelease && previous) cap.release(previous)
    previous = null
  }

  return {
    [Symbol.asyncIterator]() {
      return this
    },
    async next() {
      releasePrevious()
      if (!started && !cap.running && !cap.closed) started = cap.start()
      if (started) await started
      for (;;) {
        if (queue.length > 0) {
          const item = queue.shift()
          if (queue.length <= max / 2) consumer.resume()
          previous = item.buffer
          return { value: item, done: false }
        }
        if (error) {
          consumer.detach()
          throw error
        }
        if (finished) {
          consumer.detach()
          return { value: undefined, done: true }
        }
        await new Promise((resolve) => (wake = resolve))
      }
    },
    async return() {
      releasePrevious()
      consumer.detach()
      if (autoRelease) for (const { buffer } of queue.splice(0)) cap.release(buffer)
      if (cap.running) await cap.stop()
      return { value: undefined, done: true }
    },
    async throw(err) {
      await this.return()
      throw err
    },
  }
}

module.exports = { iteratePackets }
