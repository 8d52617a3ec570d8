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
const { kPause, kResume } = require('./capture')
const { invalidType, invalidValue } = require('./errors')

function iteratePackets(cap, options = {}) {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'of type object', options)
  const { autoRelease = false, ...rest } = options
  const unknown = Object.keys(rest)
  if (unknown.length) throw invalidValue(unknown[0], 'one of the known options (autoRelease)', rest[unknown[0]])
  if (typeof autoRelease !== 'boolean') throw invalidType('autoRelease', 'of type boolean', autoRelease)
  const max = Math.max(1, Math.floor(cap.stats().pool.capacity / 2))
  const queue = []
  let held = false
  let finished = false
  let error = null
  let wake = null
  let previous = null
  let started = null

  const notify = () => {
    if (wake) {
      const w = wake
      wake = null
      w()
    }
  }
  const onData = (buffer, info) => {
    queue.push({ buffer, info })
    if (queue.length >= max && !held) {
      held = true
      cap[kPause]()
    }
    notify()
  }
  const onEnd = () => {
    finished = true
    notify()
  }
  const onError = (e) => {
    error = e
    notify()
  }
  cap.on('data', onData)
  cap.on('stop', onEnd)
  cap.on('close', onEnd)
  cap.on('error', onError)

  function detach() {
    cap.off('data', onData)
    cap.off('stop', onEnd)
    cap.off('close', onEnd)
    cap.off('error', onError)
    if (held) {
      held = false
      cap[kResume]()
    }
  }
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
          if (held && queue.length <= max / 2) {
            held = false
            cap[kResume]()
          }
          previous = item.buffer
          return { value: item, done: false }
        }
        if (error) {
          detach()
          throw error
        }
        if (finished) {
          detach()
          return { value: undefined, done: true }
        }
        await new Promise((resolve) => (wake = resolve))
      }
    },
    async return() {
      releasePrevious()
      detach()
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
