'use strict'
// One process of test/pulse-config*.test.js (the setting is per process): captures 20 packets
// from the default device (the test server's 1 kHz tone) `captures` times, after the first doing
// the `attack` (another user plants a file where pcmtap's configuration was), and prints one JSON line: what
// the environment, the configuration, stats().pulseConfig, the warnings and a child process saw.
// Options: a JSON object in argv[2].
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { Capture } = require(path.join(__dirname, '..', '..'))

const opts = JSON.parse(process.argv[2] || '{}')
const warnings = []
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }))

function captureOnce() {
  const cap = new Capture({})
  let n = 0
  let sum = 0
  let count = 0
  return new Promise((resolve) => {
    const end = (r) => cap.close().then(() => resolve({ ...r, pulseConfig: cap.stats().pulseConfig }))
    cap.on('data', (b) => {
      if (++n > 5) for (let i = 0; i < b.length; i += 2) { const s = b.readInt16LE(i) / 32768; sum += s * s; count++ }
      cap.release(b)
      if (n === 20) end({ rms: Math.sqrt(sum / count) })
    })
    cap.on('error', (e) => end({ error: `${e.code} ${e.message}` }))
    cap.start().catch((e) => end({ error: `${e.code} ${e.message}` }))
  })
}

// What another user who owns `dir` can do, done as that user (root spawns it with their uid
// and gid): rename pcmtap's directory away and plant a configuration at the exact path.
function attack({ dir, text, uid }) {
  const conf = process.env.PULSE_CLIENTCONFIG
  if (!conf || !conf.startsWith(dir + '/')) return false
  const script = 'mv "$1" "$2" && mkdir "$1" && printf %s "$3" > "$4"'
  const args = [path.dirname(conf), path.join(dir, 'moved-away'), text, conf]
  const r = spawnSync('sh', ['-c', script, 'sh', ...args], { uid, gid: uid, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`the attack failed: ${r.stderr}`)
  return true
}

function childSees() {
  const code = `const c = process.env.PULSE_CLIENTCONFIG
    let text = null; try { text = require('node:fs').readFileSync(c, 'utf8') } catch (e) { text = 'ERROR ' + e.code }
    console.log(JSON.stringify({ conf: c ?? null, text }))`
  const node = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' })
  const sh = spawnSync('sh', ['-c', 'cat "$PULSE_CLIENTCONFIG"'], { encoding: 'utf8' })
  return { node: JSON.parse(node.stdout), sh: sh.stdout }
}

async function main() {
  const runs = []
  let attacked = false
  for (let i = 0; i < (opts.captures ?? 1); i++) {
    if (i === 1 && opts.attack) attacked = attack(opts.attack)
    runs.push(await captureOnce())
  }
  const conf = process.env.PULSE_CLIENTCONFIG ?? null
  let text = null
  try { text = conf && fs.readFileSync(conf, 'utf8') } catch {}
  await new Promise((r) => setImmediate(r)) // warnings are emitted on a later tick
  console.log(JSON.stringify({
    conf,
    text,
    runs,
    attacked,
    warnings,
    child: opts.child ? childSees() : null,
    cwd: fs.readdirSync(process.cwd()),
  }))
}
main()
