#!/usr/bin/env node
'use strict'
// Builds the native addon (release unless --debug). Run by `npm install` and `npm run build`.
// On Linux, cpal needs the ALSA headers (libasound2-dev): installed with apt-get when running as
// root, otherwise the build stops with the exact command to run.
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const debug = process.argv.includes('--debug')

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

function ensureAlsaHeaders() {
  if (process.platform !== 'linux') return
  if (fs.existsSync('/usr/include/alsa/asoundlib.h')) return
  const cmd = 'apt-get update && apt-get install -y --no-install-recommends libasound2-dev pkg-config'
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && have('apt-get')) {
    console.log(`pcmtap: ALSA headers missing, running: ${cmd}`)
    execFileSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    return
  }
  console.error(`pcmtap: the ALSA headers (libasound2-dev) are needed to build. Run as root:\n  ${cmd}`)
  process.exit(1)
}

function build() {
  const cli = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
  if (fs.existsSync(cli)) {
    const args = [cli, 'build', '--platform', '--js', 'native.js', '--dts', 'native.d.ts']
    if (!debug) args.push('--release')
    execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
    return
  }
  // Installed without devDependencies: plain cargo, then put the library where native.js looks.
  const args = ['build']
  if (!debug) args.push('--release')
  execFileSync('cargo', args, { cwd: root, stdio: 'inherit' })
  const lib = path.join(root, 'target', debug ? 'debug' : 'release', 'libpcmtap.so')
  fs.copyFileSync(lib, path.join(root, `pcmtap.${process.platform}-${process.arch}-gnu.node`))
}

ensureAlsaHeaders()
build()
