'use strict'
// watchDevices() on the Windows build under Wine (Linux side, run by `npm run test:windows`):
// the watchers of a process share one IMMNotificationClient registration
// (src/capture/endpoint_watch.rs), say `mechanism: 'subscription'`, unregister on the last
// close(), and never keep the process alive. What Wine 8.0 delivers is recorded, not assumed:
// its MMDevAPI enumerates winepulse's endpoints once per process, so a sink loaded, a default
// changed or a sink unloaded on the server reaches neither the notifications nor listDevices()
// of a running process (measured; real Windows sends OnDeviceAdded/Removed/StateChanged and
// OnDefaultDeviceChanged, which the GitHub workflow's Windows runner covers only by type).
const test = require('node:test')
const assert = require('node:assert/strict')
const { pactl } = require('../audio-server')
const { ready, probe, probeResult } = require('./wine')

test('two watchers share one endpoint registration, changes from the server are recorded, close() unregisters at once', async (t) => {
  if (!(await ready(t))) return
  const p = probe({ op: 'watch', ms: 5000 })
  await p.waitFor('ready')
  const mod = (await pactl('load-module', 'module-null-sink', 'sink_name=pcmtap_wine_watch', 'rate=48000', 'channels=2')).trim()
  try {
    await pactl('set-default-source', 'pcmtap_wine_watch.monitor')
    await new Promise((r) => setTimeout(r, 1000))
  } finally {
    await pactl('set-default-source', 'pcmtap_test.monitor').catch(() => {})
    await pactl('unload-module', mod).catch(() => {})
  }
  const { result, report } = await p.done
  assert.ok(result && !result.thrown, report)
  t.diagnostic(`mechanism ${JSON.stringify(result.mechanism)}; registration ${JSON.stringify(result.open)} -> ${JSON.stringify(result.closed)}; close ${result.closeMs.toFixed(1)} ms; changes under Wine: ${JSON.stringify(result.changes)}`)
  assert.deepEqual(result.mechanism, ['subscription', 'subscription'])
  assert.deepEqual([result.open.listeners, result.open.threads, result.open.connections], [1, 1, 1], 'one registration, one listener for both watchers')
  assert.deepEqual([result.closed.listeners, result.closed.threads], [0, 0], 'unregistered after the last close()')
  assert.ok(result.closeMs < 1000, `close() ${result.closeMs} ms`)
})

test('a watcher left open does not keep the process alive', async (t) => {
  if (!(await ready(t))) return
  const t0 = Date.now()
  const r = await probeResult({ op: 'watch-open' }, { timeout: 60_000 })
  assert.equal(r.mechanism, 'subscription')
  assert.equal(r.hub.listeners, 1)
  assert.ok(Date.now() - t0 < 55_000, 'the process exited by itself')
})
