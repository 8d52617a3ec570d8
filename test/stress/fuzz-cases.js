'use strict'
// The fuzz table: every option of `new Capture()` (top level, `device.id`, `synthetic.*`,
// `reconnect.*`) and every method argument (`release`, `stream`, `packets`, and the options
// object itself), each with every hostile value below. A case is [target, valueName]; `run(i)`
// plays case i in the current process and prints one line: `ok` (accepted) or
// `threw <name> <code>`. Run each case in a child: node test/stress/fuzz-cases.js <index>.
const { Capture } = require('../..')

/** Hostile values, built fresh in the child (Proxies and getters cannot cross processes). */
const VALUES = {
  null: () => null,
  true: () => true,
  string: () => 'x',
  emptyString: () => '',
  longString: () => 'x'.repeat(1 << 20),
  zero: () => 0,
  negZero: () => -0,
  minusOne: () => -1,
  fraction: () => 1.5,
  NaN: () => NaN,
  Infinity: () => Infinity,
  minusInfinity: () => -Infinity,
  huge: () => 2 ** 53,
  maxValue: () => Number.MAX_VALUE,
  bigint: () => 10n,
  symbol: () => Symbol('s'),
  emptyArray: () => [],
  sparseArray: () => [0, , 1], // eslint-disable-line no-sparse-arrays
  holeyArray: () => new Array(3),
  hugeSparseArray: () => new Array(2 ** 32 - 1),
  object: () => ({}),
  function: () => () => {},
  date: () => new Date(0),
  buffer: () => Buffer.alloc(8),
  proxy: () => new Proxy({}, {}),
  throwingTraps: () => new Proxy({}, { get: boom, ownKeys: boom, getPrototypeOf: boom, has: boom }),
  throwingGetter: () => Object.defineProperty({}, 'id', { get: boom, enumerable: true }),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    return proxy
  },
  nullProto: () => Object.create(null),
}

function boom() {
  throw new Error('boom')
}

const OPTIONS = [
  'source', 'host', 'device', 'device.id', 'loopback', 'channelMap', 'bufferFrames', 'sampleRate', 'channels',
  'format', 'framesPerPacket', 'poolSize', 'useExternalBuffer', 'autoRelease', 'lowWaterMark', 'signal',
  'synthetic', 'synthetic.waveform', 'synthetic.frequency', 'synthetic.amplitude', 'synthetic.paced',
  'synthetic.blockFrames', 'synthetic.sampleFormat',
  'reconnect', 'reconnect.initialDelay', 'reconnect.maxDelay', 'reconnect.giveUpAfter',
]
const TARGETS = [
  'options', // new Capture(value)
  ...OPTIONS.map((o) => `option:${o}`),
  'getter:poolSize', // { get poolSize() { return value } }
  'release', // cap.release(value)
  'stream', // cap.stream(value)
  'stream.objectMode',
  'stream.highWaterMark',
  'packets', // cap.packets(value)
  'packets.autoRelease',
]

const CASES = []
for (const target of TARGETS) for (const name of Object.keys(VALUES)) CASES.push([target, name])

function optionsWith(path, value) {
  const [a, b] = path.split('.')
  if (a === 'synthetic') return b ? { source: 'synthetic', synthetic: { [b]: value } } : { source: 'synthetic', synthetic: value }
  if (a === 'device') return b ? { device: { [b]: value } } : { device: value }
  // A device source (reconnect is refused with the synthetic one): constructed, never started.
  if (a === 'reconnect') return b ? { reconnect: { [b]: value } } : { reconnect: value }
  return { source: 'synthetic', [a]: value }
}

function play(target, value) {
  if (target === 'options') return new Capture(value).close()
  if (target.startsWith('option:')) return new Capture(optionsWith(target.slice(7), value)).close()
  if (target === 'getter:poolSize') {
    return new Capture({ source: 'synthetic', get poolSize() { return value } }).close()
  }
  const cap = new Capture({ source: 'synthetic' })
  try {
    if (target === 'release') cap.release(value)
    else if (target === 'stream') cap.stream(value)
    else if (target === 'packets') cap.packets(value)
    else {
      const [method, key] = target.split('.')
      cap[method]({ [key]: value })
    }
  } finally {
    cap.close()
  }
}

function run(i) {
  const [target, name] = CASES[i]
  try {
    play(target, VALUES[name]())
    console.log('ok')
  } catch (e) {
    console.log(`threw ${e && e.name} ${e && e.code}`)
  }
}

if (require.main === module) run(Number(process.argv[2]))

module.exports = { CASES, run }
