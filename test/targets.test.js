'use strict'
// scripts/check-targets.js: a target whose std rustup cannot add is skipped with the reason
// printed (never counted as passed), and the run does not fail for it. The real checks
// (`cargo check --target …`, minutes each) run with `npm run check:targets`, not here.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')

test('check:targets skips, with the reason, a target that rustup cannot add', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'check-targets.js'), 'sparc-unknown-nowhere'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /^sparc-unknown-nowhere +skipped +(`rustup target add sparc-unknown-nowhere` failed: error: .+|rustup is not installed.*)$/m)
  assert.doesNotMatch(r.stdout, /passed/)
})
