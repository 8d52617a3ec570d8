'use strict'
// package.json and npm/<platform>/: the napi-rs distribution layout holds together, and the
// Node versions it declares agree with what its devDependencies need.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const semver = require('semver')
const { ROOT } = require('./helpers')

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
// @napi-rs/cli's target triple -> napi-rs platform name (the npm/ dir and .node suffix).
const PLATFORMS = {
  'x86_64-unknown-linux-gnu': { name: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc' },
  'aarch64-unknown-linux-gnu': { name: 'linux-arm64-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc' },
  'x86_64-apple-darwin': { name: 'darwin-x64', os: 'darwin', cpu: 'x64' },
  'aarch64-apple-darwin': { name: 'darwin-arm64', os: 'darwin', cpu: 'arm64' },
  'x86_64-pc-windows-msvc': { name: 'win32-x64-msvc', os: 'win32', cpu: 'x64' },
}

test('the published package has no lifecycle script that runs at install time, and no Rust in files', () => {
  for (const s of ['preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts[s], undefined, s)
  assert.equal(pkg.scripts.prepare, 'node scripts/build.js', 'a clone still builds on npm install')
  for (const f of pkg.files) assert.doesNotMatch(f, /^(src|target|Cargo|build\.rs|scripts)|\.node$/, f)
  assert.equal(pkg.bin.pcmtap, 'bin/pcmtap.js')
})

test('every file the exports map names is in files (so the tarball has it)', () => {
  const targets = []
  const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk))
  walk(pkg.exports)
  assert.ok(targets.includes('./wav.d.ts') && targets.includes('./lib/wav.js'), 'pcmtap/wav is exported')
  for (const t of targets) {
    const rel = t.replace(/^\.\//, '')
    assert.ok(fs.existsSync(path.join(ROOT, rel)), `${t} does not exist`)
    assert.ok(rel === 'package.json' || pkg.files.some((f) => (f.endsWith('/') ? rel.startsWith(f) : rel === f)), `${t} is not in files`)
  }
})

test('every napi target has an npm/<platform> package with os, cpu, libc, and an exact-version optional dependency', () => {
  assert.deepEqual(Object.keys(PLATFORMS).sort(), [...pkg.napi.targets].sort())
  const dirs = fs.readdirSync(path.join(ROOT, 'npm')).sort()
  assert.deepEqual(dirs, Object.values(PLATFORMS).map((p) => p.name).sort())
  for (const p of Object.values(PLATFORMS)) {
    const sub = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', p.name, 'package.json'), 'utf8'))
    assert.equal(sub.name, `pcmtap-${p.name}`)
    assert.equal(sub.version, pkg.version)
    assert.deepEqual(sub.os, [p.os])
    assert.deepEqual(sub.cpu, [p.cpu])
    assert.deepEqual(sub.libc, p.libc ? [p.libc] : undefined)
    assert.equal(sub.main, `pcmtap.${p.name}.node`)
    assert.deepEqual(sub.files, [sub.main])
    assert.equal(sub.engines.node, pkg.engines.node)
    assert.equal(pkg.optionalDependencies[sub.name], pkg.version, `optionalDependencies["${sub.name}"] must be exactly ${pkg.version}`)
    if (p.os === 'darwin') assert.match(sub.description, /macOS 14\.2 or later/)
  }
  assert.equal(Object.keys(pkg.optionalDependencies).length, Object.keys(PLATFORMS).length)
})

test('engines.node is within what every installed devDependency supports (no EBADENGINE)', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'))
  assert.equal(lock.packages[''].engines.node, pkg.engines.node, 'package-lock.json is stale: run npm install')
  const bad = []
  for (const [where, p] of Object.entries(lock.packages)) {
    if (!where || !p.engines || !p.engines.node) continue
    if (!fs.existsSync(path.join(ROOT, where))) continue // an optional package of another platform
    if (!semver.subset(pkg.engines.node, p.engines.node)) bad.push(`${where}@${p.version} wants node ${p.engines.node}`)
  }
  assert.deepEqual(bad, [], `engines.node is ${pkg.engines.node}`)
  assert.ok(semver.satisfies(process.version, pkg.engines.node), `this Node (${process.version}) is outside engines.node`)
})
