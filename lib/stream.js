'use strict'
// cap.stream(): a Readable over a capture, honouring backpressure. JS thread.
//
// It hands out COPIES: a stream consumer (fs.WriteStream, a socket, a Transform) keeps Buffers
// after the 'data' event, with no signal when it is done, so pool memory cannot be lent to it
// (releasing would corrupt queued writes; waiting for GC would starve the pool). Each packet is
// copied into a normal Buffer and its slot is released at once.
//
// Backpressure: when push() returns false the stream holds the capture's delivery and pushes
// nothing more until _read(). Packets then wait in the native ready queue; when that and the
// pool are full the audio thread drops frames (counted; 'overrun' on the capture and the
// stream; the next packet is flagged). Memory stays bounded by the pool however slow the reader.
const { Readable } = require('node:stream')
const { kPause, kResume } = require('./capture')
const { invalidType, invalidValue } = require('./errors')

function createStream(cap, options = {}) {
  if (typeof options !== 'object' || options === null) throw invalidType('options', 'of type object', options)
  const { objectMode = false, highWaterMark, ...rest } = options
  const unknown = Object.keys(rest)
  if (unknown.length) throw invalidValue(unknown[0], 'one of the known options (objectMode, highWaterMark)', rest[unknown[0]])
  if (typeof objectMode !== 'boolean') throw invalidType('objectMode', 'of type boolean', objectMode)
  if (highWaterMark !== undefined && (!Number.isInteger(highWaterMark) || highWaterMark < 0)) {
    throw invalidType('highWaterMark', 'a non-negative integer', highWaterMark)
  }
  let held = false
  let ended = false
  const stream = new Readable({
    objectMode,
    highWaterMark,
    read() {
      if (held) {
        held = false
        cap[kResume]()
      }
    },
    destroy(err, cb) {
      detach()
      cb(err)
    },
  })
  const onData = (buf, info) => {
    if (ended) return
    const copy = Buffer.from(buf)
    cap.release(buf)
    const more = stream.push(objectMode ? { buffer: copy, info } : copy)
    if (!more && !held) {
      held = true
      cap[kPause]()
    }
  }
  const onOverrun = (e) => stream.emit('overrun', e)
  const onError = (e) => stream.destroy(e)
  const onEnd = () => {
    if (ended) return
    detach()
    stream.push(null)
  }
  function detach() {
    if (ended) return
    ended = true
    cap.off('data', onData)
    cap.off('overrun', onOverrun)
    cap.off('error', onError)
    cap.off('stop', onEnd)
    cap.off('close', onEnd)
    if (held) {
      held = false
      cap[kResume]()
    }
  }
  cap.on('data', onData)
  cap.on('overrun', onOverrun)
  cap.on('error', onError)
  cap.on('stop', onEnd)
  cap.on('close', onEnd)
  return stream
}

module.exports = { createStream }
