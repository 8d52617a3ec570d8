'use strict'
// `pcmtap devices [--host H] [--json]`: every device of a host as a table (or JSON). JS thread.
const { parseArgs } = require('node:util')
const { listDevices, hosts } = require('../index.js')
const { UsageError } = require('./usage')

function parse(args) {
  try {
    return parseArgs({ args, options: { host: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: false, strict: true }).values
  } catch (err) {
    throw new UsageError(err.message)
  }
}

function config(c) {
  return c ? `${c.sampleRate} Hz ${c.channels} ch ${c.format}` : '-'
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n')
}

/** Prints the devices; returns the exit status. */
function devices(args, { stdout }) {
  const { host, json } = parse(args)
  let list
  try {
    list = listDevices({ host })
  } catch (err) {
    if (err.code && err.code.startsWith('ERR_')) throw new UsageError(err.message)
    throw err
  }
  if (json) {
    stdout.write(JSON.stringify(list, null, 2) + '\n')
    return 0
  }
  const rows = [['ID', 'NAME', 'KIND', 'DEFAULT', 'CONFIG']]
  for (const d of list) rows.push([d.id, d.name, d.kind, d.isDefault ? 'yes' : '', config(d.defaultConfig)])
  stdout.write(`host ${host || hosts().default}: ${list.length} device${list.length === 1 ? '' : 's'}\n`)
  if (list.length) stdout.write(table(rows) + '\n')
  return 0
}

module.exports = { devices }
