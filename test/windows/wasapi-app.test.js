'use strict'
// Per-application capture on the Windows build under Wine (Linux side, run by `npm run
// test:windows`): not done on Windows yet (process loopback), so listApplications() and an
// application capture's start() refuse cleanly with UNSUPPORTED_CONFIG saying why, and the
// capture closes without leaving anything behind.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ready, probeResult } = require('./wine')

test('listApplications() and application capture refuse with UNSUPPORTED_CONFIG, saying why', async (t) => {
  if (!(await ready(t))) return
  const r = await probeResult({ op: 'app' })
  for (const [what, x] of [['listApplications()', r.list], ['start()', r.start]]) {
    assert.ok(x.error, `${what}: ${JSON.stringify(x)}`)
    assert.equal(x.error.code, 'UNSUPPORTED_CONFIG', `${what}: ${JSON.stringify(x.error)}`)
    assert.match(x.error.message, /per-application capture is implemented on Linux .* Windows process loopback/, what)
  }
})
