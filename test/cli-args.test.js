'use strict'
// The `pcmtap` command line's usage errors (cli/args.js, cli/main.js): each mistake is one line
// on stderr naming what is wrong and the form expected, then where the help is; exit status 2;
// no file written. Near misses of flags and commands get "did you mean". No device needed.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { suggest, distance } = require('../cli/args')

const BIN = path.join(ROOT, 'bin', 'pcmtap.js')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-cli-args-'))
test.after(() => fs.rmSync(work, { recursive: true, force: true }))
const cli = (args) => spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 30_000 })

test('distance counts insertions, deletions, substitutions and adjacent transpositions', () => {
  assert.equal(distance('record', 'record'), 0)
  assert.equal(distance('recrod', 'record'), 1)
  assert.equal(distance('chanels', 'channels'), 1)
  assert.equal(distance('samplerat', 'samplerate'), 1)
  assert.equal(distance('', 'abc'), 3)
  assert.equal(distance('secs', 'seconds'), 3)
})

test('suggest: a case-, dash- and underscore-insensitive match, else the nearest within 2 (closer for short words), else undefined', () => {
  const flags = ['seconds', 'device', 'host', 'loopback', 'rate', 'channels', 'format', 'reconnect', 'synthetic', 'app']
  const aliases = { 'sample-rate': 'rate', secs: 'seconds', r: 'rate' }
  const cases = [
    ['samplerate', 'rate'],
    ['sampleRate', 'rate'],
    ['sample_rate', 'rate'],
    ['sample-rat', 'rate'],
    ['chanels', 'channels'],
    ['CHANNELS', 'channels'],
    ['secs', 'seconds'],
    ['second', 'seconds'],
    ['lopback', 'loopback'],
    ['r', 'rate'],
    ['rat', 'rate'],
    ['x', undefined],
    ['ra', undefined],
    ['bogus', undefined],
    ['frobnicate', undefined],
  ]
  for (const [word, want] of cases) assert.equal(suggest(word, flags, aliases), want, word)
  assert.equal(suggest('recrod', ['devices', 'apps', 'record']), 'record')
  assert.equal(suggest('devics', ['devices', 'apps', 'record']), 'devices')
  assert.equal(suggest('app', ['devices', 'apps', 'record']), 'apps')
})

const hint = (cmd) => `Try 'pcmtap${cmd ? ` ${cmd}` : ''} --help'`
const USAGE_ERRORS = [
  [['frobnicate'], "unknown command 'frobnicate'", ''],
  [['recrod', 'a.wav'], "unknown command 'recrod': did you mean record?", ''],
  [['devics'], "unknown command 'devics': did you mean devices?", ''],
  [['a.wav'], "unknown command 'a.wav': did you mean pcmtap record a.wav?", ''],
  [['--versoin'], "unknown option '--versoin': did you mean --version?", ''],
  [['--seconds', '1'], '--seconds is an option of record: pcmtap record out.wav --seconds N', ''],
  [['record'], 'record needs an output file: pcmtap record out.wav [options]', 'record'],
  [['record', '--seconds', '1'], 'record needs an output file: pcmtap record out.wav [options]', 'record'],
  [['record', 'a.wav', 'b.wav'], 'one output file, got 2: a.wav b.wav', 'record'],
  [['record', 'a.wav', '--secs', '1'], "unknown option '--secs': did you mean --seconds 1?", 'record'],
  [['record', '--secs', '1'], "unknown option '--secs': did you mean --seconds 1?", 'record'],
  [['record', 'a.wav', '--samplerate', '16000'], "unknown option '--samplerate': did you mean --rate 16000?", 'record'],
  [['record', 'a.wav', '--sample-rat=16000'], "unknown option '--sample-rat': did you mean --rate R?", 'record'],
  [['record', 'a.wav', '--chanels', '1'], "unknown option '--chanels': did you mean --channels 1?", 'record'],
  [['record', 'a.wav', '-r', '16000'], "unknown option '-r': did you mean --rate 16000?", 'record'],
  [['record', 'a.wav', '--synth'], "unknown option '--synth': did you mean --synthetic?", 'record'],
  [['record', 'a.wav', '--bogus'], "unknown option '--bogus'", 'record'],
  [['record', 'a.wav', '--seconds'], '--seconds needs a value: --seconds N', 'record'],
  [['record', 'a.wav', '--seconds', '--synthetic'], "--seconds needs a value: --seconds N (it was followed by '--synthetic')", 'record'],
  [['record', 'a.wav', '--synthetic', '2'], "--synthetic takes no value, got '2'", 'record'],
  [['record', 'a.wav', '--loopback=yes'], "--loopback takes no value, got 'yes'", 'record'],
  [['record', 'a.wav', '--seconds', 'ten'], "--seconds must be a positive number, got 'ten'", 'record'],
  [['record', 'a.wav', '--seconds', '-1'], "--seconds must be a positive number, got '-1'", 'record'],
  [['record', 'a.wav', '--format', 's24'], "--format must be s16 or f32, got 's24'", 'record'],
  [['record', 'a.wav', '--channels', '2.5'], "--channels must be a positive integer, got '2.5'", 'record'],
  [['record', 'a.wav', '--rate', '500'], '--rate: The value of "sampleRate" is out of range. It must be an integer >= 1000 and <= 384000. Received 500', 'record'],
  [['record', 'a.wav', '--host', 'nope'], "--host: The \"host\" option must be one of 'alsa', 'pulseaudio', 'jack', 'wasapi', 'coreaudio'. Received 'nope'", 'record'],
  [['record', 'a.wav', '--synthetic', '--loopback'], '--synthetic takes no --device, --host, --loopback, --reconnect or --app', 'record'],
  [['record', 'a.wav', '--synthetic', '--reconnect'], '--synthetic takes no --device, --host, --loopback, --reconnect or --app', 'record'],
  [['devices', '--host', 'nope'], "--host: The \"host\" option must be one of 'alsa', 'pulseaudio', 'jack', 'wasapi', 'coreaudio'. Received 'nope'", 'devices'],
  [['devices', '--watch', '--host', 'nope'], "--host: The \"host\" option must be one of 'alsa', 'pulseaudio', 'jack', 'wasapi', 'coreaudio'. Received 'nope'", 'devices'],
  [['devices', '--jsn'], "unknown option '--jsn': did you mean --json?", 'devices'],
  [['devices', '--json', '--watch'], '--watch prints lines, not JSON: use one of --json, --watch', 'devices'],
  [['devices', 'pulseaudio'], "unexpected argument 'pulseaudio'", 'devices'],
  [['apps', '--jsno'], "unknown option '--jsno': did you mean --json?", 'apps'],
]

test('each usage error is one line saying what is wrong, then where the help is; exit 2, no file written', () => {
  for (const [args, line, cmd] of USAGE_ERRORS) {
    const r = cli(args)
    const what = `pcmtap ${args.join(' ')}`
    assert.equal(r.status, 2, `${what}\n${childReport(r)}`)
    assert.equal(r.stderr, `pcmtap: ${line}\n${hint(cmd)}\n`, what)
    assert.equal(r.stdout, '', what)
  }
  assert.deepEqual(fs.readdirSync(work), [], 'no file was written')
})

test('pcmtap alone prints the usage on stderr (exit 2); --help and <command> --help on stdout (exit 0)', () => {
  const bare = cli([])
  assert.equal(bare.status, 2)
  assert.match(bare.stderr, /^Usage:\n {2}pcmtap devices/)
  for (const args of [['--help'], ['-h'], ['help'], ['record', '--help'], ['record', 'a.wav', '--bogus', '-h'], ['devices', '--help'], ['apps', '-h']]) {
    const r = cli(args)
    assert.equal(r.status, 0, `pcmtap ${args.join(' ')}\n${childReport(r)}`)
    assert.match(r.stdout, /^Usage:\n {2}pcmtap devices[\s\S]*pcmtap record <out\.wav>/, args.join(' '))
    assert.equal(r.stderr, '')
  }
})
