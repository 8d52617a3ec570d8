'use strict'
// Command-line parsing for the `pcmtap` commands: node:util's parseArgs (with tokens, not
// strict), then one usage error per mistake, in one line that names the flag and the form it
// takes, with "did you mean" for a near miss of a flag or a command. JS thread.
const { parseArgs } = require('node:util')
const { UsageError } = require('./usage')

/** Edit distance with adjacent transpositions (optimal string alignment): 'recrod' -> 'record' is 1. */
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

const fold = (s) => s.toLowerCase().replace(/[-_]/g, '')

/**
 * The name in `names` that `word` most likely meant, or undefined. A match ignoring case, '-'
 * and '_' wins; else the nearest within distance 2 (and a third of the longer word, so short
 * words need a closer match). `aliases` maps other words people type (the API's option names,
 * other tools' flags) to a name: `{ 'sample-rate': 'rate' }`.
 */
function suggest(word, names, aliases = {}) {
  const w = fold(word)
  const candidates = [...names.map((n) => [n, n]), ...Object.entries(aliases)]
  let best
  let bestD = Infinity
  for (const [spelling, name] of candidates) {
    const c = fold(spelling)
    if (c === w) return name
    const d = distance(w, c)
    if (d < bestD && d <= 2 && d <= Math.floor(Math.max(w.length, c.length) / 3)) [best, bestD] = [name, d]
  }
  return best
}

/** How a flag is written: `--seconds N`, `--loopback`. */
function form(name, spec, value) {
  const o = spec[name]
  return o.type === 'string' ? `--${name} ${value ?? o.value}` : `--${name}`
}

/**
 * Parses `args` for `command` (for the help hint). `spec`: `{ name: { type, value, short } }`
 * (`value`: the placeholder in messages, `N`); `--help`/`-h` is added. `aliases`: see suggest().
 * `positionals`: how many at most. Returns `{ values, positionals, help }`; throws UsageError.
 */
function parse(args, { command, spec, aliases = {}, positionals: max = 0 }) {
  const options = { help: { type: 'boolean', short: 'h' } }
  for (const [name, o] of Object.entries(spec)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type }
  const { values, positionals, tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true })
  const fail = (message) => {
    throw new UsageError(message, command)
  }
  if (values.help === true) return { values, positionals, help: true }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.kind !== 'option') continue
    const o = spec[t.name]
    if (!o) {
      const s = suggest(t.name, Object.keys(spec), aliases)
      // `--secs 1`: parseArgs took the value for a positional; the suggestion shows it in place.
      const next = tokens[i + 1]
      const misread = next && next.kind === 'positional' && next.index === t.index + 1 ? next.value : undefined
      fail(`unknown option '${t.rawName}'${s ? `: did you mean ${form(s, spec, misread)}?` : ''}`)
    }
    if (o.type === 'boolean' && t.inlineValue) fail(`${t.rawName} takes no value, got '${t.value}'`)
    if (o.type === 'string') {
      if (t.value === undefined) fail(`${t.rawName} needs a value: ${form(t.name, spec)}`)
      if (!t.inlineValue && t.value.startsWith('-') && !/^-\d/.test(t.value)) {
        fail(`${t.rawName} needs a value: ${form(t.name, spec)} (it was followed by '${t.value}')`)
      }
    }
  }
  if (positionals.length > max) {
    // `--synthetic 2`: a value after a flag that takes none.
    for (let i = 1; i < tokens.length; i++) {
      const [prev, t] = [tokens[i - 1], tokens[i]]
      if (t.kind === 'positional' && prev.kind === 'option' && spec[prev.name].type === 'boolean' && t.index === prev.index + 1) {
        fail(`${prev.rawName} takes no value, got '${t.value}'`)
      }
    }
    if (max === 0) fail(`unexpected argument '${positionals[0]}'`)
  }
  return { values, positionals, help: false }
}

module.exports = { parse, suggest, distance }
