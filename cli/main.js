'use strict'
// `pcmtap` command dispatch: parses the command line (node:util parseArgs), runs a command,
// returns the exit status (0 ok, 1 capture error, 2 bad usage). JS thread.
const { parseArgs } = require('node:util')
const { USAGE, UsageError } = require('./usage')
const { devices, apps } = require('./devices')
const { recordWav } = require('./record')

const RECORD_OPTIONS = {
  seconds: { type: 'string' },
  device: { type: 'string' },
  host: { type: 'string' },
  loopback: { type: 'boolean' },
  rate: { type: 'string' },
  channels: { type: 'string' },
  format: { type: 'string' },
  reconnect: { type: 'boolean' },
  synthetic: { type: 'boolean' },
  app: { type: 'string' },
}

/** A flag's number, or a UsageError naming the flag. */
function number(flag, text, { integer = true } = {}) {
  if (text === undefined) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n <= 0) {
    throw new UsageError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'`)
  }
  return n
}

function parseRecord(args) {
  let parsed
  try {
    parsed = parseArgs({ args, options: RECORD_OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(err.message)
  }
  const { values: v, positionals } = parsed
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `one output file, got ${positionals.length}: ${positionals.join(' ')}` : 'record needs an output file (out.wav)')
  if (v.format !== undefined && !['s16', 'f32'].includes(v.format)) throw new UsageError(`--format must be s16 or f32, got '${v.format}'`)
  if (v.synthetic && (v.device || v.host || v.loopback || v.reconnect || v.app)) throw new UsageError('--synthetic takes no --device, --host, --loopback, --reconnect or --app')
  if (v.app !== undefined && (v.device || v.host || v.loopback || v.reconnect)) throw new UsageError('--app takes no --device, --host, --loopback or --reconnect (it records one application)')
  const capture = {
    source: v.synthetic ? 'synthetic' : 'device',
    sampleRate: number('rate', v.rate) ?? 48000,
    channels: number('channels', v.channels) ?? 2,
    format: v.format ?? 's16',
  }
  if (v.device !== undefined) capture.device = v.device
  if (v.host !== undefined) capture.host = v.host
  if (v.loopback) capture.loopback = true
  if (v.reconnect) capture.reconnect = true
  if (v.app !== undefined) capture.application = /^[1-9]\d*$/.test(v.app) ? { pid: Number(v.app) } : { name: v.app }
  return { file: positionals[0], seconds: number('seconds', v.seconds, { integer: false }), capture }
}

/** Runs one command line; resolves the exit status. `io`: { stdout, stderr, signal }. */
async function main(argv, io) {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      ;(command === undefined ? io.stderr : io.stdout).write(USAGE + '\n')
      return command === undefined ? 2 : 0
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`pcmtap ${require('../package.json').version}\n`)
      return 0
    }
    if (command === 'devices') return devices(rest, io)
    if (command === 'apps') return apps(rest, io)
    if (command === 'record') {
      const opts = parseRecord(rest)
      const r = await recordWav({ ...opts, signal: io.signal, live: Boolean(io.stderr.isTTY), stdout: io.stdout, stderr: io.stderr })
      if (r.error) throw r.error
      return r.code
    }
    throw new UsageError(`unknown command '${command}'`)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`pcmtap: ${err.message}\n\n${USAGE}\n`)
      return 2
    }
    const code = err.code || 'ERROR'
    const message = String(err.message).split('\n')[0]
    io.stderr.write(`pcmtap: ${message.startsWith(`${code}:`) ? message : `${code}: ${message}`}\n`)
    return 1
  }
}

module.exports = { main, parseRecord }
