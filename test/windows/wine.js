'use strict'
// Linux side of the WASAPI tests: runs a Windows program under Wine (scripts/wine-node.sh) while
// the test drives the sound server, and follows the program's event log. JS thread of a Linux
// test process. Not a test file itself.
const { spawn, execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')
const WINE_NODE = path.join(ROOT, 'scripts', 'wine-node.sh')
const PROBE = path.join(__dirname, 'probe.js')
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-wasapi-'))
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }))
let seq = 0

/** Runs `node.exe ARGS...` under Wine: `{ status, stdout, stderr }` once it exits. */
function wineNode(args, { timeout = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [WINE_NODE, ...args], { cwd: ROOT, env: process.env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
    child.on('error', reject)
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      resolve({ status, signal, stdout, stderr })
    })
  })
}

/** Starts test/windows/probe.js with `job`; `{ done, waitFor(type), log }`: `done` resolves the
 * probe's RESULT (and its output, for messages); waitFor resolves the logged event `type`. */
function probe(job, opts) {
  const log = path.join(work, `events-${process.pid}-${++seq}.jsonl`)
  fs.writeFileSync(log, '')
  let exited = false
  const done = wineNode([PROBE, JSON.stringify({ ...job, log })], opts).then((r) => {
    exited = true
    const line = r.stdout.split('\n').reverse().find((l) => l.startsWith('RESULT '))
    const report = `status=${r.status} signal=${r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
    return { result: line ? JSON.parse(line.slice(7)) : null, report }
  })
  const events = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  async function waitFor(type, timeout = 30_000) {
    const until = Date.now() + timeout
    for (;;) {
      const e = events().find((x) => x.type === type)
      if (e) return e
      if (exited || Date.now() > until) throw new Error(`no '${type}' from the probe (events: ${JSON.stringify(events())})\n${exited ? (await done).report : 'still running'}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return { done, waitFor, events }
}

/** One probe run to its end; throws with its output when it printed no RESULT. */
async function probeResult(job, opts) {
  const { result, report } = await probe(job, opts).done
  if (!result) throw new Error(`the probe printed no RESULT\n${report}`)
  return result
}

function audioServer(cmd) {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(ROOT, 'scripts', 'audio-server.sh'), cmd], { env: process.env, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout)))
  })
}

/** Whether the test server runs (started once per file); skips test `t` with the reason if not. */
let server = null
async function ready(t) {
  server ??= require('../audio-server').ensureAudioServer()
  const srv = await server
  if (srv.ok) return true
  t.skip(require('../audio-server').skipReason(srv))
  return false
}

module.exports = { ready, wineNode, probe, probeResult, audioServer, work, ROOT }
