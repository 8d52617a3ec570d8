'use strict'
// `pcmtap devices [--host H] [--json] [--watch]`: every device of a host as a table (or JSON);
// with --watch, then one line per change until Ctrl-C or SIGTERM. `pcmtap apps [--json]`: the
// applications playing now. JS thread.
const { listDevices, watchDevices, hosts, listApplications } = require('../index.js')
const { USAGE, UsageError } = require('./usage')
const { parse } = require('./args')

const DEVICES = {
  command: 'devices',
  spec: { host: { type: 'string', value: 'H' }, json: { type: 'boolean' }, watch: { type: 'boolean' } },
  aliases: { follow: 'watch', monitor: 'watch', backend: 'host', api: 'host' },
}
const APPS = { command: 'apps', spec: { json: { type: 'boolean' } } }

function parseDevices(args) {
  const { values, help } = parse(args, DEVICES)
  if (values.json && values.watch) throw new UsageError('--watch prints lines, not JSON: use one of --json, --watch', 'devices')
  return { ...values, help }
}

/** `pcmtap <command> --help`: the usage, on stdout. */
function help({ stdout }) {
  stdout.write(USAGE + '\n')
  return 0
}

function config(c) {
  return c ? `${c.sampleRate} Hz ${c.channels} ch ${c.format}` : '-'
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')
}

/** Option errors (ERR_*) are bad usage (the only option is --host); the rest are the device layer's. */
function usageErrors(fn) {
  try {
    return fn()
  } catch (err) {
    if (err.code && err.code.startsWith('ERR_')) throw new UsageError(`--host: ${err.message}`, 'devices')
    throw err
  }
}

/** The lines one change prints: `- id (name)`, `+ id (name)`, `default -> id`. */
function changeLines({ added, removed, defaultChanged, defaultInput }) {
  const lines = [...removed.map((d) => `- ${d.id} (${d.name})`), ...added.map((d) => `+ ${d.id} (${d.name})`)]
  if (defaultChanged) lines.push(`default -> ${defaultInput ? defaultInput.id : 'none'}`)
  return lines.map((l) => l + '\n').join('')
}

/** Prints each change until `signal` aborts (Ctrl-C) or SIGTERM; resolves 0. The watcher never
 * keeps a process alive, so an interval does while watching. */
function watchUntilStopped(watcher, { stdout, stderr, signal }) {
  watcher.on('change', (c) => stdout.write(changeLines(c)))
  watcher.on('error', (err) => stderr.write(`pcmtap: ${err.code}: ${String(err.message).split('\n')[0]}\n`))
  return new Promise((resolve) => {
    const alive = setInterval(() => {}, 1 << 30)
    const stop = () => {
      clearInterval(alive)
      process.off('SIGTERM', stop)
      if (signal) signal.removeEventListener('abort', stop)
      watcher.close()
      resolve(0)
    }
    process.on('SIGTERM', stop)
    if (signal) {
      if (signal.aborted) return stop()
      signal.addEventListener('abort', stop, { once: true })
    }
  })
}

/** Prints the devices (and with --watch their changes); returns (or resolves) the exit status. */
function devices(args, io) {
  const { host, json, watch, help: wantsHelp } = parseDevices(args)
  if (wantsHelp) return help(io)
  // Watching first: a change while the table is printed is a line after it, never lost.
  const watcher = watch ? usageErrors(() => watchDevices({ host })) : null
  let list
  try {
    list = usageErrors(() => listDevices({ host }))
  } catch (err) {
    // Watching a host whose sound server is not there (yet): no devices until it comes.
    if (watcher && err.code === 'HOST_UNAVAILABLE') list = []
    else {
      if (watcher) watcher.close()
      throw err
    }
  }
  if (json) {
    io.stdout.write(JSON.stringify(list, null, 2) + '\n')
    return 0
  }
  const rows = [['ID', 'NAME', 'KIND', 'DEFAULT', 'CONFIG']]
  for (const d of list) rows.push([d.id, d.name, d.kind, d.isDefault ? 'yes' : '', config(d.defaultConfig)])
  io.stdout.write(`host ${host || hosts().default}: ${list.length} device${list.length === 1 ? '' : 's'}\n`)
  if (list.length) io.stdout.write(table(rows) + '\n')
  if (!watcher) return 0
  io.stdout.write(`watching (${watcher.mechanism}); Ctrl-C to stop\n`)
  return watchUntilStopped(watcher, io)
}

/** `pcmtap apps [--json]`: the applications playing now, as a table (or JSON). */
function apps(args, { stdout }) {
  const { values, help: wantsHelp } = parse(args, APPS)
  if (wantsHelp) return help({ stdout })
  const list = listApplications()
  if (values.json) stdout.write(JSON.stringify(list, null, 2) + '\n')
  else if (list.length === 0) stdout.write('no application is playing audio\n')
  else stdout.write(table([['pid', 'name', 'binary', 'streams'], ...list.map((a) => [String(a.pid), a.name, a.binary, String(a.streams)])]) + '\n')
  return 0
}

module.exports = { devices, apps }
