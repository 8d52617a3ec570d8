'use strict'
// `pcmtap` command dispatch: parses the command line (cli/args.js), runs a command, returns the
// exit status (0 ok, 1 capture error, 2 bad usage: one line, then where the help is). JS thread.
const { USAGE, UsageError, usageLines } = require('./usage')
const { parse, suggest } = require('./args')
const { devices, apps } = require('./devices')
const { recordWav } = require('./record')

const COMMANDS = ['devices', 'apps', 'record']
const COMMAND_ALIASES = { rec: 'record', capture: 'record', list: 'devices', ls: 'devices', applications: 'apps' }
const RECORD = {
  command: 'record',
  positionals: 1,
  spec: {
    seconds: { type: 'string', value: 'N' },
    device: { type: 'string', value: 'D' },
    host: { type: 'string', value: 'H' },
    loopback: { type: 'boolean' },
    rate: { type: 'string', value: 'R' },
    channels: { type: 'string', value: 'C' },
    format: { type: 'string', value: 's16|f32' },
    reconnect: { type: 'boolean' },
    synthetic: { type: 'boolean' },
    app: { type: 'string', value: 'PID|NAME' },
  },
  // What people type for these flags: the API's option names, sox's and arecord's flags.
  aliases: {
    'sample-rate': 'rate', r: 'rate', secs: 'seconds', duration: 'seconds', time: 'seconds', d: 'seconds',
    'sample-format': 'format', f: 'format', ch: 'channels', c: 'channels', dev: 'device', input: 'device',
    synth: 'synthetic', application: 'app', pid: 'app', monitor: 'loopback',
  },
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
  const { values: v, positionals, help } = parse(args, RECORD)
  if (help) return { help }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `one output file, got ${positionals.length}: ${positionals.join(' ')}` : 'record needs an output file: pcmtap record out.wav [options]', 'record')
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

/** `pcmtap <command> --help`: the usage, on stdout. */
function help(io) {
  io.stdout.write(USAGE + '\n')
  return 0
}

/** What went wrong with a first word that is no command, as specific as it can say. */
function unknownCommand(word) {
  if (word.startsWith('-')) {
    const name = word.replace(/^--?/, '').replace(/=.*/, '')
    if (RECORD.spec[name]) return new UsageError(`${word} is an option of record: pcmtap record out.wav --${name}${RECORD.spec[name].value ? ` ${RECORD.spec[name].value}` : ''}`)
    const s = suggest(name, ['help', 'version'])
    return new UsageError(`unknown option '${word}'${s ? `: did you mean --${s}?` : ''}`)
  }
  if (/\.wav$/i.test(word)) return new UsageError(`unknown command '${word}': did you mean pcmtap record ${word}?`)
  const s = suggest(word, COMMANDS, COMMAND_ALIASES)
  return new UsageError(`unknown command '${word}'${s ? `: did you mean ${s}?` : ''}`)
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
    if (command === 'devices') return await devices(rest, io)
    if (command === 'apps') return apps(rest, io)
    if (command === 'record') {
      const opts = parseRecord(rest)
      if (opts.help) return help(io)
      const r = await recordWav({ ...opts, signal: io.signal, live: Boolean(io.stderr.isTTY), stdout: io.stdout, stderr: io.stderr })
      if (r.error) throw r.error
      return r.code
    }
    throw unknownCommand(command)
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.command === undefined && COMMANDS.includes(command)) err.command = command
      io.stderr.write(usageLines(err))
      return 2
    }
    const code = err.code || 'ERROR'
    const message = String(err.message).split('\n')[0]
    io.stderr.write(`pcmtap: ${message.startsWith(`${code}:`) ? message : `${code}: ${message}`}\n`)
    return 1
  }
}

module.exports = { main, parseRecord }
