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
const { attach } = require('./consumer')
const { invalidType } = require('./errors')
const { checkOptions, bool } = require('./options')

function createStream(cap, options = {}) {
  const { objectMode = false, highWaterMark } = checkOptions(options, { objectMode: 1, highWaterMark: 1 })
  bool('objectMode', objectMode)
  if (highWaterMark !== undefined && (!Number.isInteger(highWaterMark) || highWaterMark < 0)) {
    throw invalidType('highWaterMark', 'a non-negative integer', highWaterMark)
  }
  const stream = new Readable({
    objectMode,
    highWaterMark,
    read() {
      consumer.resume()
    },
    destroy(err, cb) {
      consumer.detach()
      cb(err)
    },
  })
  const end = () => {
    if (!consumer.attached) return
    consumer.detach()
    stream.push(null)
  }
  const consumer = attach(cap, {
    data(buf, info) {
      const copy = Buffer.from(buf)
      cap.release(buf)
      if (!stream.push(objectMode ? { buffer: copy, info } : copy)) consumer.hold()
    },
    overrun: (e) => stream.emit('overrun', e),
    error: (e) => stream.destroy(e),
    stop: end,
    close: end,
  })
  return stream
}

module.exports = { createStream }
