//! A typed tour of the whole pcmtap API; `tsc --noEmit --strict` must accept it (test/types.test.js).
import { pipeline } from 'node:stream/promises'
import { createWriteStream } from 'node:fs'
import {
  Capture,
  codes,
  defaultDevice,
  hosts,
  listApplications,
  listDevices,
  SLOT_BYTES,
  watchDevices,
  type CaptureOptions,
  type CaptureStats,
  type DeviceChange,
  type ApplicationInfo,
  type ApplicationStats,
  type DeviceInfo,
  type DeviceSwitch,
  type DeviceWatcher,
  type OverrunInfo,
  type PacketInfo,
  type PcmtapError,
  type ReconnectInfo,
} from 'pcmtap'

async function main(): Promise<void> {
  const h: { default: string; compiled: string[] } = hosts()
  const devices: DeviceInfo[] = listDevices({ host: 'pulseaudio', kind: 'monitor', probe: false })
  const def: DeviceInfo | null = defaultDevice({ host: 'alsa' })
  const watcher: DeviceWatcher = watchDevices({ host: 'pulseaudio' })
  const how: 'subscription' | 'poll' = watcher.mechanism
  watcher.on('change', ({ added, removed, defaultChanged, defaultInput }: DeviceChange) => {
    console.log(how, added.length, removed.map((d) => d.id), defaultChanged, defaultInput?.name)
  })
  watcher.on('error', (err: PcmtapError) => console.error(err.code))
  watcher.close()
  const ac = new AbortController()
  const options: CaptureOptions = {
    source: 'device',
    host: 'pulseaudio',
    device: devices[0] ? { id: devices[0].id } : 'monitor',
    loopback: false,
    channelMap: [0],
    bufferFrames: 1024,
    sampleRate: 16000,
    channels: 1,
    format: 's16',
    framesPerPacket: 320,
    poolSize: 64,
    useExternalBuffer: true,
    autoRelease: false,
    lowWaterMark: 16,
    signal: ac.signal,
    synthetic: { waveform: 'sine', frequency: 440, amplitude: 0.5, paced: true, blockFrames: [160, 7], sampleFormat: 'f32' },
  }
  const cap = new Capture(options)
  cap.on('data', (buf: Buffer, info: PacketInfo) => {
    const late: number = performance.now() - info.captureTime
    if (info.discontinuity || late > 100) console.log(info.seq, info.frames)
    const released: boolean = cap.release(buf)
    void released
  })
  cap.on('overrun', (o: OverrunInfo) => console.log(o.droppedFrames, o.totalDroppedFrames, o.seq))
  cap.on('error', (err: PcmtapError) => {
    if (err.code === codes.DEVICE_LOST) console.error(err.message, err.cause)
  })
  cap.on('start', () => {})
  const again = new Capture({ reconnect: { initialDelay: 100, maxDelay: 1000, giveUpAfter: 60_000 } })
  again.on('disconnect', (err: PcmtapError) => console.warn(err.code, err.cause))
  again.on('reconnect', (r: ReconnectInfo) => console.log(r.attempts, r.gapFrames, r.gapMs, r.seq))
  again.on('data', (buf: Buffer, info: PacketInfo) => {
    const gap: number = info.gapFrames
    if (gap > 0) console.log(`${gap} frames missing before packet ${info.seq}`)
    again.release(buf)
  })
  again.on('devicechange', ({ from, to, seq }: DeviceSwitch) => console.log(from.id, to.name, seq))
  const { disconnects, reconnects, gapFrames, deviceChanges }: CaptureStats['audio'] = again.stats().audio
  void [disconnects, reconnects, gapFrames, deviceChanges]
  await again.close()
  const fixed = new Capture({ followDefault: false, loopback: true })
  await fixed.close()
  let apps: ApplicationInfo[] = []
  try {
    apps = listApplications()
  } catch (e) {
    if ((e as PcmtapError).code !== 'HOST_UNAVAILABLE') throw e
  }
  for (const a of apps) console.log(a.pid, a.name, a.binary, a.host, a.streams)
  const app = new Capture(apps[0] ? { application: { pid: apps[0].pid } } : { application: { name: 'firefox' } })
  const others = new Capture({ loopback: { exclude: apps.map((a) => a.pid).concat(1) } })
  const appStats: ApplicationStats | undefined = app.stats().application
  console.log(appStats?.streams, appStats?.idleFrames, appStats?.pids)
  app.on('error', (err: PcmtapError) => {
    if (err.code === 'APPLICATION_EXITED' || err.code === 'APPLICATION_NOT_FOUND') console.log(err.message)
  })
  await app.close()
  await others.close()
  try {
    await cap.start()
  } catch (e) {
    const err = e as PcmtapError
    if (err.code === 'DEVICE_NOT_FOUND' || err.code === 'HOST_UNAVAILABLE') return
    throw err
  }
  const s: CaptureStats = cap.stats()
  const mode: 'external' | 'copy' = s.mode
  const rate: number | undefined = s.device?.sampleRate
  console.log(mode, rate, s.pool.hitRate, s.delivery.finalized, s.audio.xruns, SLOT_BYTES, h.default, def?.id)
  await cap.stop()

  for await (const { buffer, info } of cap.packets({ autoRelease: true })) {
    if (buffer.length === 0 || info.seq > 100) break
  }
  const bytes = cap.stream({ objectMode: false, highWaterMark: 1 << 16 })
  bytes.on('overrun', (o: OverrunInfo) => console.log(o.droppedFrames))
  await cap.start()
  setTimeout(() => void cap.stop(), 1000)
  await pipeline(bytes, createWriteStream('/dev/null'))
  await cap[Symbol.asyncDispose]()
  ac.abort()
  await cap.close()
}

void main()
