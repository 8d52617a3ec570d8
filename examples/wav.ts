//! Records 1 s of pcmtap's synthetic tone to tone.wav with `pcmtap/wav`, the writer `pcmtap record` uses; `tsc --noEmit --strict` must accept it (test/types.test.js).
import { Capture, type CaptureOptions, type PcmtapError } from 'pcmtap'
import { WavWriter, RIFF_MAX, type WavWriterOptions } from 'pcmtap/wav'

async function main(): Promise<void> {
  const options = { source: 'synthetic', sampleRate: 16000, channels: 1, format: 'f32' } satisfies CaptureOptions
  // The writer takes the capture's own sampleRate, channels and format.
  const layout: WavWriterOptions = { sampleRate: options.sampleRate, channels: options.channels, format: options.format, maxDataBytes: RIFF_MAX }
  const wav = new WavWriter('tone.wav', layout)
  const cap = new Capture(options)
  cap.on('data', (buf: Buffer) => {
    const written: number = wav.write(buf) // synchronous: the slot can go back at once
    cap.release(buf)
    if (written < buf.length || wav.room === 0) void cap.stop()
  })
  cap.on('error', (err: PcmtapError) => console.error(err.code))
  await cap.start()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await cap.close()
  wav.close()
  const bytes: number = wav.dataBytes
  console.log(`tone.wav: ${bytes} data bytes`)
}

void main()
