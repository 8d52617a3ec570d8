'use strict'
// Recording to a WAV file, for `pcmtap record` and the demo. JS thread: the 'data' listener
// writes each packet synchronously from its pool slot (zero copy), then releases the slot.
const fs = require('node:fs')
const { Capture } = require('../index.js')
const { WavWriter } = require('../lib/wav')
const { Meter, statusLine, dbfs } = require('./meter')
const { UsageError } = require('./usage')

const STATUS_MS = 100
// The Capture option each flag sets, so a rejected value is reported under the flag's name.
const FLAG_OF = { sampleRate: '--rate', channels: '--channels', format: '--format', host: '--host', device: '--device', 'application.name': '--app', 'application.pid': '--app' }
const SILENCE = Buffer.alloc(64 * 1024) // zero bytes: silence in s16 and f32 alike

/**
 * Records until `seconds` of audio are written, `signal` aborts, the WAV is full (4 GiB) or the
 * capture fails. `capture`: Capture options. `live`: draw the status line on `stderr`.
 * Resolves `{ code, error, frames, seconds, stats, level, reason }`; code 0 ok, 1 capture error
 * (not printed: the caller says it). Prints the summary on `stdout` once anything was recorded.
 * Throws UsageError for options the Capture rejects (before any device is touched).
 */
async function recordWav({ file, seconds, capture, signal, live = false, stdout, stderr }) {
  const sampleRate = capture.sampleRate ?? 48000
  const channels = capture.channels ?? 2
  const format = capture.format ?? 's16'
  const blockAlign = channels * (format === 'f32' ? 4 : 2)
  // 10 ms packets where a 4096-byte slot holds them, else as many frames as fit.
  const framesPerPacket = Math.max(1, Math.min(Math.round(sampleRate / 100), Math.floor(4096 / blockAlign)))
  let cap
  try {
    cap = new Capture({ framesPerPacket, ...capture })
  } catch (err) {
    if (err.code && err.code.startsWith('ERR_')) {
      const flag = FLAG_OF[/"([\w.]+)"/.exec(err.message)?.[1]]
      throw new UsageError(flag ? `${flag}: ${err.message}` : err.message, 'record')
    }
    throw err
  }
  const target = seconds === undefined ? Infinity : Math.round(seconds * sampleRate)
  let wav
  try {
    wav = new WavWriter(file, { sampleRate, channels, format })
  } catch (err) {
    await cap.close()
    throw err // e.g. ENOENT: the caller prints one line, exit 1
  }
  const meter = new Meter(format)
  let frames = 0
  let packets = 0 // written to the file, whole or in part
  let done = false
  let finish
  const finished = new Promise((resolve) => (finish = (reason, error) => {
    if (done) return
    done = true
    resolve({ reason, error })
  }))

  cap.on('data', (buf, info) => {
    if (done) return void cap.release(buf)
    // The first packet after a switch to the new default carries the switch's gap: silence.
    if (switched && info.gapFrames > 0) {
      switched = false
      writeSilence(info.gapFrames)
      if (done) return void cap.release(buf)
    }
    const want = (target - frames) * blockAlign
    const chunk = buf.length > want ? buf.subarray(0, want) : buf
    meter.add(chunk)
    const written = wav.write(chunk)
    frames += written / blockAlign
    if (written > 0) packets++
    cap.release(buf) // the bytes are in the file: the slot goes back to the pool now
    if (frames >= target) finish('done')
    else if (written < chunk.length) finish('full')
  })
  // A device error comes after the last packet captured before it and right before 'stop':
  // the file keeps every packet, and the recording ends at 'stop'.
  let fatal = null
  cap.on('error', (err) => (fatal = err))
  cap.on('stop', () => {
    if (!fatal) return
    // The recorded application exited: the recording is complete, not failed.
    if (fatal.code === 'APPLICATION_EXITED') {
      say(`${fatal.message}: recording ended`)
      finish('exited')
    } else finish('error', fatal)
  })
  // With `reconnect`: a lost device is reported and waited for; its gap becomes silence, written
  // before the first packet after it (which 'reconnect' precedes), so the file keeps time.
  let gapFrames = 0
  const say = (line) => stderr.write(`${live ? '\r\x1b[K' : ''}pcmtap: ${line}\n`)
  cap.on('disconnect', (err) => say(`${err.code}: ${String(err.message).split('\n')[0]}; waiting for it to come back`))
  cap.on('reconnect', ({ attempts, gapFrames: gap, gapMs }) => {
    say(`back after ${(gapMs / 1000).toFixed(2)} s (${attempts} attempt${attempts === 1 ? '' : 's'}); the gap is written as silence`)
    writeSilence(gap)
  })
  // A capture of the default follows it: one line, and the switch's gap written as silence.
  let switched = false
  cap.on('devicechange', ({ from, to }) => {
    say(`the default device changed: now recording '${to.name}' (${to.id}), before '${from.name}' (${from.id})`)
    switched = true
  })
  function writeSilence(gap) {
    let left = Math.min(gap, target - frames)
    while (left > 0 && !done) {
      const n = Math.min(left, SILENCE.length / blockAlign)
      const written = wav.write(SILENCE.subarray(0, n * blockAlign))
      frames += written / blockAlign
      gapFrames += written / blockAlign
      left -= n
      if (written < n * blockAlign) finish('full')
    }
    if (frames >= target) finish('done')
  }
  const onAbort = () => finish('interrupted')
  if (signal) {
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  }

  let timer = null
  let device
  const t0 = performance.now()
  try {
    await cap.start()
    device = cap.stats().device // the config actually opened (stats() after close() lacks it)
    if (live) {
      timer = setInterval(() => {
        stderr.write(`\r\x1b[K${statusLine({ seconds: frames / sampleRate, level: meter.take(), stats: cap.stats() })}`)
      }, STATUS_MS)
    }
  } catch (err) {
    finish('error', err)
  }
  const { reason, error } = await finished
  if (timer) clearInterval(timer)
  if (live) stderr.write('\r\x1b[K')
  if (signal) signal.removeEventListener('abort', onAbort)
  const application = cap.stats().application // stats() after close() lacks it
  await cap.close() // what was still queued arrives as 'data' and is released unwritten
  wav.close()
  if (error && frames === 0) fs.rmSync(file, { force: true }) // nothing recorded: no empty WAV left behind
  const stats = { ...cap.stats(), application }
  const result = { code: error ? 1 : 0, error, reason, frames, packets, gapFrames, seconds: frames / sampleRate, stats, device, level: meter.total(), wallSeconds: (performance.now() - t0) / 1000 }
  if (frames > 0 || !error) stdout.write(summary(file, { sampleRate, channels, format, bytes: wav.dataBytes }, result))
  return result
}

function summary(file, { sampleRate, channels, format, bytes }, { reason, seconds, packets, stats, device: d, level, gapFrames }) {
  const app = stats.application
  const source = d
    ? `${d.id} (${d.name}; opened at ${d.sampleRate} Hz ${d.channels} ch ${d.format}${d.resampling ? ', resampled' : ''})`
    : app
      ? `application ${app.name}${app.pids.length ? ` (pid ${app.pids.join(', ')})` : ''}: ${app.streamsOpened} stream${app.streamsOpened === 1 ? '' : 's'} recorded, ${(app.idleFrames / sampleRate).toFixed(2)} s while it played nothing`
      : 'synthetic 1 kHz tone'
  const why = { done: '', interrupted: ' (interrupted)', full: ' (WAV size limit reached: 4 GiB)', error: ' (capture failed)', exited: ' (the application exited)' }[reason]
  return [
    `Wrote ${file}: ${seconds.toFixed(2)} s, ${sampleRate} Hz, ${channels} ch, ${format === 'f32' ? '32-bit float' : '16-bit PCM'}, ${bytes} data bytes${why}`,
    `  source     ${source}`,
    `  level      peak ${dbfs(level.peak)} dBFS, RMS ${dbfs(level.rms)} dBFS`,
    `  packets    ${packets} written of ${stats.delivery.packets} delivered (external ${stats.delivery.external}, copied ${stats.delivery.copied}, released ${stats.delivery.released}); mode ${stats.mode}`,
    `  pool       hit rate ${(stats.pool.hitRate * 100).toFixed(1)} %, misses ${stats.pool.misses}, high water ${stats.pool.highWater} of ${stats.pool.capacity} slots`,
    `  audio      dropped frames ${stats.audio.droppedFrames}, discontinuities ${stats.audio.discontinuities}${stats.audio.reconnects ? `, reconnects ${stats.audio.reconnects}` : ''}${stats.audio.deviceChanges ? `, default device changes ${stats.audio.deviceChanges}` : ''}${gapFrames ? ` (${(gapFrames / sampleRate).toFixed(2)} s of silence written for the gaps)` : ''}`,
    '',
  ].join('\n')
}

module.exports = { recordWav }
