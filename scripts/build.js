#!/usr/bin/env node
'use strict'
// Builds the native addon from source (release unless --debug): `npm run build`, and `prepare`,
// which npm runs on `npm install` in a clone or a git install. The published package has no
// install script: users get the binary from the platform package (npm/<platform>/).
//
// Output: pcmtap.<platform>.node and the generated loader binding.js / binding.d.ts (napi build
// --platform). On Linux, cpal needs the ALSA headers (libasound2-dev): as root on Debian they are
// installed with apt-get (this runs in a developer's clone, never in a user's app); otherwise the
// build stops with the exact command to run.
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const debug = process.argv.includes('--debug')

function fail(message) {
  console.error(`pcmtap build: ${message}`)
  process.exit(1)
}

function have(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
}

function ensureAlsaHeaders() {
  if (process.platform !== 'linux') return
  if (fs.existsSync('/usr/include/alsa/asoundlib.h')) return
  const cmd = 'apt-get update && apt-get install -y --no-install-recommends libasound2-dev pkg-config'
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && have('apt-get')) {
    console.log(`pcmtap build: the ALSA headers are missing, running: ${cmd}`)
    execFileSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    return
  }
  fail(`the ALSA headers (libasound2-dev on Debian/Ubuntu, alsa-lib-devel on Fedora) are needed. As root:\n  ${cmd}`)
}

function build() {
  if (!have('cargo')) {
    fail(
      'building pcmtap from source needs Rust (cargo was not found on PATH). Install it from https://rustup.rs,\n' +
        'or install the published package (npm install pcmtap), which brings a prebuilt binary and needs no Rust.',
    )
  }
  const cli = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  if (!fs.existsSync(cli)) fail('@napi-rs/cli (a devDependency) is missing: run `npm install` in the repository first.')
  const args = [cli, 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts']
  if (!debug) args.push('--release')
  console.log(`pcmtap build: compiling the ${debug ? 'debug' : 'release'} addon (the first build takes a few minutes)`)
  execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
}

ensureAlsaHeaders()
build()
