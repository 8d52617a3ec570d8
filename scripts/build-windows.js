#!/usr/bin/env node
'use strict'
// `npm run build:windows`: builds the Windows addon on Linux with mingw-w64 (target
// x86_64-pc-windows-gnu), for the Wine test rig (scripts/wine-node.sh, `npm run test:windows`).
// The published win32-x64-msvc binary is not this one: the GitHub workflow builds it with MSVC.
//
// Output: pcmtap.win32-x64-gnu.node in the repository root (the name `napi build --platform`
// gives this target; *.node is gitignored and not in package.json "files", and npm/ has no
// package for this target, so it is never packed). Official node.exe is an MSVC build, so the
// generated loader looks for the -msvc name there: wine-node.sh points it at this file with
// NAPI_RS_NATIVE_LIBRARY_PATH instead of giving a GNU build the MSVC package's name.
//
// Installs what it lacks (as root on Debian): the mingw-w64 linker (.cargo/config.toml names it)
// and the rustup target.
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const TARGET = 'x86_64-pc-windows-gnu'
const LINKER = 'x86_64-w64-mingw32-gcc'
const OUT = path.join(root, 'pcmtap.win32-x64-gnu.node')

function fail(message) {
  console.error(`pcmtap build:windows: ${message}`)
  process.exit(1)
}

function have(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.status === 0
}

function run(cmd, args, opts = {}) {
  console.log(`pcmtap build:windows: ${cmd} ${args.join(' ')}`)
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts })
}

function ensureLinker() {
  if (have(LINKER)) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const cmd = 'apt-get update && apt-get install -y --no-install-recommends gcc-mingw-w64-x86-64'
  if (!isRoot || !have('apt-get', ['--version'])) fail(`the mingw-w64 linker (${LINKER}) is missing. As root on Debian/Ubuntu:\n  ${cmd}`)
  run('sh', ['-c', cmd], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

function ensureTarget() {
  const r = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' })
  if (r.status !== 0) fail(`rustup is needed to add the ${TARGET} target (https://rustup.rs)`)
  if (!r.stdout.split('\n').includes(TARGET)) run('rustup', ['target', 'add', TARGET])
}

// napi's and napi-build's build scripts, on a windows-gnu target, link `-lnode` and panic unless
// LIBNODE_PATH names a folder holding a libnode.dll (napi-build 2.6 src/windows.rs). With
// napi's `dyn-symbols` (Cargo.toml turns it on for this target) every Node-API symbol is looked
// up in the host process at load time, so nothing may be linked from Node: the folder holds an
// empty archive, which ld picks for -lnode before libnode.dll (an empty placeholder for the
// check). A static Node-API reference would then fail the link instead of importing node.exe.
function libnodeStub() {
  const dir = path.join(root, 'target', TARGET, 'libnode-stub')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'libnode.a'), '!<arch>\n')
  fs.writeFileSync(path.join(dir, 'libnode.dll'), '')
  return dir
}

ensureLinker()
ensureTarget()
const started = Date.now()
run('cargo', ['build', '--release', '--lib', '--target', TARGET], { env: { ...process.env, LIBNODE_PATH: libnodeStub() } })
fs.copyFileSync(path.join(root, 'target', TARGET, 'release', 'pcmtap.dll'), OUT)
console.log(`pcmtap build:windows: wrote ${path.relative(root, OUT)} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
