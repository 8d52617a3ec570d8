'use strict'
// index.d.ts: the typed example that uses the whole API compiles under --strict, and the
// declared runtime exports are exactly the real ones.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT } = require('./helpers')

test('tsc --noEmit --strict accepts examples/typed.ts against index.d.ts', () => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  assert.ok(fs.existsSync(tsc), 'typescript is a devDependency: run npm install')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], { encoding: 'utf8' })
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}\n${r.stderr}`)
})

test('index.d.ts declares exactly the runtime exports, and codes match', () => {
  const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
  const declared = [...dts.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map((m) => m[1]).sort()
  const pcmtap = require('..')
  assert.deepEqual(declared, Object.keys(pcmtap).sort())
  const union = dts.match(/export type PcmtapErrorCode =\n((?:\s+\| '\w+'\n)+)/)[1]
  const declaredCodes = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort()
  assert.deepEqual(declaredCodes, Object.keys(pcmtap.codes).sort())
})
