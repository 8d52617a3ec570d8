'use strict'
// `spawn` and `spawnSync` of node:child_process, for the tests (JS thread). Not a test file.
//
// Under Wine (the Windows run, `npm run test:windows`: process.platform 'win32'), starting a
// child now and then fails before the child exists: node.exe's CreateProcess returns a Windows
// error libuv does not map, so `spawn` throws (`spawnSync` returns) `spawn UNKNOWN`, errno -4094.
// Seen once in CI, in the fuzz test's ~113 children of one Windows run; never in 4,000 `node -e
// 0` children nor in 22 runs of the fuzz test (2,486 children) under Wine here
// (docs/platforms.md). No code of the child ran, pcmtap's least of all, so starting it again
// hides no pcmtap fault: these wrappers try up to three times, 100 ms apart, and say so on
// stderr each time. Any other failure, and every failure elsewhere than under Wine, is returned
// or thrown as child_process does.
const cp = require('node:child_process')

const TRIES = 3
const startFailed = (err) =>
  process.platform === 'win32' && Boolean(err) && err.code === 'UNKNOWN' && String(err.syscall).startsWith('spawn')

function retrying(cmd, err, attempt) {
  process.stderr.write(`test/spawn.js: ${cmd} did not start (${err.message}), attempt ${attempt} of ${TRIES}; starting it again\n`)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
}

function spawn(cmd, args, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      return cp.spawn(cmd, args, options)
    } catch (err) {
      if (!startFailed(err) || attempt === TRIES) throw err
      retrying(cmd, err, attempt)
    }
  }
}

function spawnSync(cmd, args, options) {
  for (let attempt = 1; ; attempt++) {
    const r = cp.spawnSync(cmd, args, options)
    if (!startFailed(r.error) || attempt === TRIES) return r
    retrying(cmd, r.error, attempt)
  }
}

module.exports = { spawn, spawnSync, startFailed }
