'use strict'
// index.d.ts and wav.d.ts: the typed examples (examples/typed.ts, the whole API; examples/wav.ts,
// pcmtap/wav) compile under --strict, and the declared runtime exports are exactly the real ones.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('./spawn')
const { ROOT } = require('./helpers')

test('tsc --noEmit --strict accepts examples/typed.ts and examples/wav.ts against index.d.ts and wav.d.ts', () => {
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

test('wav.d.ts declares exactly the runtime exports of pcmtap/wav, and package.json points at it', () => {
  const dts = fs.readFileSync(path.join(ROOT, 'wav.d.ts'), 'utf8')
  const declared = [...dts.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map((m) => m[1]).sort()
  assert.deepEqual(declared, Object.keys(require('../lib/wav')).sort())
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  assert.equal(pkg.exports['./wav'].types, './wav.d.ts')
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'))
  assert.ok(tsconfig.files.includes('examples/wav.ts'), 'npm run typecheck compiles examples/wav.ts')
})
