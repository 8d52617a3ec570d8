'use strict'
// Native allocations per packet, and whose they are: runs one heap-growth child (unpaced
// synthetic source) under heaptrack twice, for a short and a long run, and divides the
// difference in allocation calls by the difference in packets, so start-up cost cancels out.
// Each call site is attributed by its stack: code in the addon (pcmtap and its napi-rs glue),
// Node/V8 called from the addon (napi_create_external_buffer, detach, ...), the relay thread,
// or Node/V8 on its own (JS objects, GC, the event loop). Needs heaptrack (Debian: heaptrack).
//
//   node bench/alloc-count.js [--modes release,autoRelease,copy] [--packets 100000] [--base 20000]
//
// Symbol names of the addon's frames need an unstripped build (the release profile strips):
//   CARGO_PROFILE_RELEASE_STRIP=none cargo build --release --target-dir /tmp/sym
// and --addon /tmp/sym/release/libpcmtap.so; without it the addon's frames are addresses and
// are still attributed to the addon. JS thread of this process; heaptrack runs the children.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const args = process.argv.slice(2)
const get = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : def
}
const modes = get('modes', 'release,autoRelease,copy').split(',')
const packets = Number(get('packets', 100000))
const base = Number(get('base', 20000)) // packets of the short run
const outDir = path.resolve(get('out-dir', path.join(__dirname, 'results')))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-allocs-'))

/** A copy of the package whose addon is `addon` (an unstripped build), or the repo itself. */
function packageRoot() {
  const addon = get('addon')
  const root = path.join(__dirname, '..')
  if (!addon) return root
  const copy = path.join(tmp, 'pkg')
  for (const f of ['lib', 'index.js', 'native.js', 'package.json', 'bench/heap-growth']) fs.cpSync(path.join(root, f), path.join(copy, f), { recursive: true })
  fs.copyFileSync(addon, path.join(copy, 'pcmtap.linux-x64-gnu.node'))
  return copy
}

/** Collapsed stacks (root;...;leaf -> allocation calls) of one run, and its packet count. */
function profile(root, mode, n) {
  const cfg = { mode, source: 'synthetic', paced: false, warmupSeconds: 0, measureSeconds: n / 100, sampleMs: 1000, classic: { iterations: 0, seconds: 0 }, stallMs: 5000, maxWallSeconds: 600 }
  const out = path.join(tmp, `${mode}-${n}`)
  const r = spawnSync('heaptrack', ['-o', out, process.execPath, '--expose-gc', path.join(root, 'bench', 'heap-growth', 'child.js'), JSON.stringify(cfg)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`heaptrack ${mode} ${n}: exit ${r.status}\n${r.stderr}`)
  const got = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))).packets
  const stacksFile = `${out}.stacks`
  const p = spawnSync('heaptrack_print', ['-f', `${out}.zst`, '--print-peaks', '0', '--print-allocators', '0', '--print-temporary', '0', '--print-leaks', '0', '-F', stacksFile, '--flamegraph-cost-type', 'allocations'], { encoding: 'utf8' })
  if (p.status !== 0) throw new Error(`heaptrack_print: ${p.stderr}`)
  const stacks = new Map()
  for (const line of fs.readFileSync(stacksFile, 'utf8').split('\n')) {
    const i = line.lastIndexOf(' ')
    if (i <= 0) continue
    const key = line.slice(0, i).replace(/;$/, '')
    stacks.set(key, (stacks.get(key) || 0) + Number(line.slice(i + 1)))
  }
  return { packets: got, stacks }
}

const NODE_FRAME = /^(node::|v8::|napi_|uv_|std::_Sp|operator new)/
/** Who allocates: the frames between the allocator and the nearest JS->native boundary. */
function owner(stack) {
  const frames = stack.split(';').map((f) => f.replace(/ \(.*\)$/, ''))
  const invoke = frames.findLastIndex((f) => f.includes('FunctionCallbackWrapper::Invoke'))
  if (invoke >= 0) return frames.slice(invoke + 1).some((f) => NODE_FRAME.test(f)) ? 'Node/V8, called by the addon' : 'the addon (pcmtap + napi-rs glue)'
  if (frames.some((f) => /thread_start|__rust_begin_short_backtrace/.test(f))) return 'addon threads (relay: Node threadsafe-function call)'
  return 'Node/V8 on its own (JS objects, GC, event loop)'
}

function site(stack) {
  const frames = stack.split(';').map((f) => f.replace(/ \(.*\)$/, '').replace(/::h[0-9a-f]{16}$/, ''))
  return frames.slice(-4).reverse().join(' <- ').slice(0, 300)
}

const root = packageRoot()
const results = {}
const lines = [`### allocations per packet (heaptrack, unpaced synthetic, ${packets} packets measured as the difference of two runs)`, '']
lines.push(`\`${`node bench/alloc-count.js ${args.join(' ')}`.trim()}\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; Node ${process.version}.`)
lines.push('')
lines.push('| mode | allocation calls per packet | the addon (pcmtap + napi-rs glue) | Node/V8 called by the addon | relay thread | Node/V8 on its own |')
lines.push('| --- | --- | --- | --- | --- | --- |')
const sites = []
for (const mode of modes) {
  const a = profile(root, mode, base)
  const b = profile(root, mode, base + packets)
  const dp = b.packets - a.packets
  const by = {}
  const bySite = new Map()
  for (const key of new Set([...a.stacks.keys(), ...b.stacks.keys()])) {
    const d = (b.stacks.get(key) || 0) - (a.stacks.get(key) || 0)
    by[owner(key)] = (by[owner(key)] || 0) + d
    bySite.set(site(key), (bySite.get(site(key)) || 0) + d)
  }
  const per = (k) => ((by[k] || 0) / dp).toFixed(2)
  const total = Object.values(by).reduce((x, y) => x + y, 0) / dp
  results[mode] = { packets: dp, total, byOwner: Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v / dp])) }
  lines.push(`| ${mode} | ${total.toFixed(2)} | ${per('the addon (pcmtap + napi-rs glue)')} | ${per('Node/V8, called by the addon')} | ${per('addon threads (relay: Node threadsafe-function call)')} | ${per('Node/V8 on its own (JS objects, GC, event loop)')} |`)
  for (const [s, v] of [...bySite].sort((x, y) => y[1] - x[1]).slice(0, 8)) if (v / dp >= 0.1) sites.push(`| ${mode} | ${(v / dp).toFixed(2)} | \`${s.replace(/\|/g, '/')}\` |`)
}
lines.push('', 'Largest call sites (per packet; leaf first):', '', '| mode | per packet | site |', '| --- | --- | --- |', ...sites, '')
const md = lines.join('\n')
fs.mkdirSync(outDir, { recursive: true })
fs.writeFileSync(path.join(outDir, 'alloc-count.json'), JSON.stringify(results, null, 1) + '\n')
fs.writeFileSync(path.join(outDir, 'alloc-count.md'), md)
fs.rmSync(tmp, { recursive: true, force: true })
console.log(md)
