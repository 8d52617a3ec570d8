'use strict'
// Usage text and the error that means "bad usage" (exit status 2): one line on stderr, then a
// pointer to the help of the command it is about. JS thread.

const USAGE = `Usage:
  pcmtap devices [--host H] [--json | --watch]
      List audio devices: id, name, kind, default, config. With --watch, then print each
      change as it happens (+ id (name), - id (name), default -> id) until Ctrl-C.
  pcmtap apps [--json]
      List the applications playing audio now: pid, name, binary, streams (Linux).
  pcmtap record <out.wav> [--seconds N] [--device D] [--host H] [--loopback]
                [--rate R] [--channels C] [--format s16|f32] [--reconnect] [--synthetic]
                [--app PID|NAME]
      Record to a WAV file (16-bit PCM or 32-bit float) until N seconds or Ctrl-C.
  pcmtap --help | --version        (also: pcmtap <command> --help)

Options:
  --host H        alsa, pulseaudio (Linux); wasapi (Windows); coreaudio (macOS); jack
  --device D      device id, part of its name, or exact id; default: the default input
  --loopback      record what the machine plays (the default output's monitor)
  --rate R        sample rate in Hz (default 48000); --channels C (default 2)
  --format F      s16 (default) or f32
  --reconnect     keep recording through a lost device or sound server: wait for it to come
                  back; the gap is written as silence (the file keeps the wall-clock timeline)
  --synthetic     record pcmtap's synthetic 1 kHz tone (no device needed)
  --app A         record one application's audio only (a pid, or its name as 'pcmtap apps'
                  shows it); the recording ends when the application exits
  --seconds N     stop after N seconds (default: until Ctrl-C)
  --json          devices: print JSON
  --watch         devices: keep printing changes (Linux: the sound server's events; elsewhere
                  polled every second) until Ctrl-C or SIGTERM (exit 0)

Exit status: 0 done, 1 capture error (one line with its code), 2 bad usage (one line saying
what is wrong).`

class UsageError extends Error {
  /** `command`: the command it is about ('record'), for the help hint; undefined: pcmtap's. */
  constructor(message, command) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

/** What a usage error prints: `pcmtap: <what is wrong>` and where to read more. */
function usageLines(err) {
  return `pcmtap: ${err.message}\nTry 'pcmtap${err.command ? ` ${err.command}` : ''} --help'\n`
}

module.exports = { USAGE, UsageError, usageLines }
