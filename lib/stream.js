'use strict'
// cap.stream(): a Readable over a capture, honouring backpressure. JS thread.
//
// It hands out COPIES: a stream consumer (fs.WriteStream, a socket, a Transform) keeps Buffers
// after the 'data' event, with no signal when it is done, so pool memory cannot be lent to it
// (releasing would corrupt queued writes; waiting for GC would starve the pool). Each packet is
// copied into a normal Buffer and its slot is released at once.
//
// Start and end: the first read joins the capture and starts it if it is not running (as
// cap.packets() does), so `pipeline(cap.stream(), file)` alone captures. The stream ends
// (push(null)) when the capture stops or closes. Destroyed before its end, it stops the
// capture. On a closed capture the first read destroys it with CAPTURE_CLOSED.
//
// Errors follow Node's stream conventions: a fatal capture error (DEVICE_LOST, ...) destroys
// the stream with that error, so it emits 'error'. `pipeline()` turns that into a rejection;
// with `.pipe()` add an 'error' listener, as for any Readable, or the process crashes.
//
// Backpressure: when push() returns false the stream holds the capture's delivery and pushes
// nothing more until _read(). Packets then wait in the native ready queue; when that and the
// pool are full the audio thread drops frames (counted; 'overrun' on the capture and the
// stream; the next packet is flagged). Memory stays bounded by the pool however slow the reader.
const { Readable } = require('node:stream')
const { consumer: makeConsumer } = require('./consumer')
const { invalidType } = require('./errors')
const { checkOptions, bool } = require('./options')

function createStream(cap, controls, options) {
  const { objectMode = false, highWaterMark } = checkOptions(options, { objectMode: 1, highWaterMark: 1 })
  bool('objectMode', objectMode)
  if (highWaterMark !== undefined && (!Number.isInteger(highWaterMark) || highWaterMark < 0)) {
    throw invalidType('highWaterMark', 'a non-negative integer', highWaterMark)
  }
  let ended = false
  const stream = new Readable({
    objectMode,
    highWaterMark,
    read() {
      if (consumer.joined) consumer.resume()
      else if (!consumer.done) consumer.join().catch((e) => stream.destroy(e))
    },
    destroy(err, cb) {
      const early = consumer.joined && !ended
      consumer.detach()
      if (early && cap.running) cap.stop().catch(() => {})
      cb(err)
    },
  })
  const end = () => {
    if (!consumer.joined) return
    ended = true
    consumer.detach()
    stream.push(null)
  }
  const consumer = makeConsumer(cap, controls, {
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
