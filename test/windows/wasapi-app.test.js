'use strict'
// Per-application capture on the Windows build under Wine (Linux side, run by `npm run
// test:windows`). Windows does it with process loopback (build 20348 and later), which no Wine
// implements, so under Wine 8.0 (measured): every capture that reaches the audio stack refuses
// with UNSUPPORTED_CONFIG naming the build and the HRESULT (the activation completes with
// 0x80070002); the checks made before it (a pid that does not exist, more than one pid to
// exclude) answer as on real Windows; listApplications() fails with UNSUPPORTED_CONFIG because
// IAudioSessionManager2::GetSessionEnumerator is E_NOTIMPL there (on Windows: a list). Each
// capture closes and node.exe exits afterwards.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ready, probe } = require('./wine')

const HRESULT = /\(0x[0-9A-F]{8}\)|HRESULT 0x[0-9A-F]{8}/

let run = null
/** The probe's app op, once per file: `{ result, status }`. */
async function appProbe() {
  run ??= probe({ op: 'app' }).done.then(({ result, report }) => {
    if (!result) throw new Error(`the probe printed no RESULT\n${report}`)
    return { result, report, status: Number(/^status=(\S+)/.exec(report)[1]) }
  })
  return run
}

function refused(x, code, pattern, what) {
  assert.ok(x.error, `${what} should refuse: ${JSON.stringify(x)}`)
  assert.equal(x.error.code, code, `${what}: ${JSON.stringify(x.error)}`)
  assert.match(x.error.message, pattern, what)
  assert.ok(x.ms < 10_000, `${what} took ${x.ms} ms`)
  assert.equal(x.closed, true, `${what}: the capture closed`)
}

test('start() of { application: { pid: <live pid> } } refuses with UNSUPPORTED_CONFIG naming build 20348 and the HRESULT', async (t) => {
  if (!(await ready(t))) return
  const { result: r } = await appProbe()
  refused(r.self, 'UNSUPPORTED_CONFIG', /process loopback, which needs Windows 10 build 20348 or later/, `{ pid: ${r.pid} }`)
  assert.match(r.self.error.message, HRESULT)
  assert.match(r.self.error.cause ?? '', HRESULT, 'the HRESULT is also err.cause')
  // Wine 8.0: the activation completes with HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND).
  assert.match(r.self.error.message, /0x80070002/)
})

test('loopback: { exclude: [<live pid>] } reaches the same refusal (EXCLUDE_TARGET_PROCESS_TREE)', async (t) => {
  if (!(await ready(t))) return
  const { result: r } = await appProbe()
  refused(r.excludeOne, 'UNSUPPORTED_CONFIG', /build 20348 or later/, 'exclude one pid')
  assert.match(r.excludeOne.error.message, HRESULT)
})

test('a pid no process has is APPLICATION_NOT_FOUND before any audio object is touched', async (t) => {
  if (!(await ready(t))) return
  const { result: r } = await appProbe()
  refused(r.missing, 'APPLICATION_NOT_FOUND', /no process with pid 4294967292/, 'a missing pid')
  assert.doesNotMatch(r.missing.error.message, /20348/)
})

test('loopback: { exclude } with two pids is UNSUPPORTED_CONFIG: process loopback excludes one tree', async (t) => {
  if (!(await ready(t))) return
  const { result: r } = await appProbe()
  refused(r.excludeTwo, 'UNSUPPORTED_CONFIG', /Windows process loopback excludes one process tree; loopback\.exclude has 2 pids/, 'exclude two pids')
})

test('listApplications() gives well-formed entries, or under Wine the documented E_NOTIMPL refusal', async (t) => {
  if (!(await ready(t))) return
  const { result: r } = await appProbe()
  if (r.list.ok) {
    assert.ok(Array.isArray(r.list.ok))
    for (const a of r.list.ok) {
      assert.deepEqual(Object.keys(a).sort(), ['binary', 'host', 'name', 'pid', 'streams'])
      assert.ok(Number.isInteger(a.pid) && a.pid > 0, JSON.stringify(a))
      assert.equal(typeof a.name, 'string')
      assert.equal(typeof a.binary, 'string')
      assert.equal(a.host, 'wasapi')
      assert.ok(Number.isInteger(a.streams) && a.streams >= 0, JSON.stringify(a))
    }
    const pids = r.list.ok.map((a) => a.pid)
    assert.deepEqual(pids, [...pids].sort((a, b) => a - b), 'sorted by pid, one entry each')
    assert.equal(new Set(pids).size, pids.length)
    // node.exe plays nothing: no application by its name.
    refused(r.name, 'APPLICATION_NOT_FOUND', /no application named 'node'/, "{ name: 'node' }")
    return
  }
  refused({ ...r.list, ms: 0, closed: true }, 'UNSUPPORTED_CONFIG', /IAudioSessionManager2::GetSessionEnumerator failed: E_NOTIMPL \(0x80004001\)/, 'listApplications()')
  // A name is resolved through the same list: the same refusal.
  refused(r.name, 'UNSUPPORTED_CONFIG', /GetSessionEnumerator failed: E_NOTIMPL/, "{ name: 'node' }")
})

test('nothing is left behind: every capture closed and node.exe exited by itself with status 0', async (t) => {
  if (!(await ready(t))) return
  const { result: r, status, report } = await appProbe()
  for (const k of ['self', 'missing', 'excludeTwo', 'excludeOne', 'name']) assert.equal(r[k].closed, true, k)
  assert.equal(status, 0, report)
})
