#!/usr/bin/env node
'use strict'
// `npm run pack:local [-- --out DIR]`: the two tarballs a user of this platform installs, made
// from this clone: the platform package (npm/<platform>/ with the freshly built .node) and the
// main package (JS only, no Rust, no lifecycle script at all); with `--all`, every npm/<name>/
// that holds its binary (the release workflow). Default DIR: dist/. Prints both
// paths and sizes; `--json` prints them as JSON instead (the install test reads it). The release
// workflow publishes exactly these tarballs.
//
// The main package is packed from a staging copy whose package.json has no `scripts` (nor
// devDependencies/overrides): `prepare` builds from source in a clone, but in the published
// package npm's --strict-allow-scripts would count it as an install script of a tarball install.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { platformName } = require('../native-errors.js')

const root = path.join(__dirname, '..')
const argv = process.argv.slice(2)
const outArg = argv.indexOf('--out')
const out = path.resolve(outArg >= 0 ? argv[outArg + 1] : path.join(root, 'dist'))
const json = argv.includes('--json')
const log = json ? () => {} : console.log

if (!argv.includes('--no-build')) {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: json ? ['ignore', 2, 2] : 'inherit' })
}

fs.mkdirSync(out, { recursive: true })

/** This platform's npm/<name>/ with the binary just built copied in. */
function platformDir() {
  const name = platformName()
  const dir = path.join(root, 'npm', name)
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    console.error(`pack:local: no npm/${name}/package.json: ${name} is not one of package.json's napi.targets`)
    process.exit(1)
  }
  const binary = `pcmtap.${name}.node`
  fs.copyFileSync(path.join(root, binary), path.join(dir, binary))
  return dir
}

/** --all (the release workflow, after `napi artifacts` put every target's .node in npm/): every npm/<name>/. */
function allPlatformDirs() {
  const dirs = fs.readdirSync(path.join(root, 'npm')).map((d) => path.join(root, 'npm', d))
  for (const d of dirs) {
    const { main } = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'))
    if (!fs.existsSync(path.join(d, main))) {
      console.error(`pack:local --all: ${path.relative(root, path.join(d, main))} is missing (run napi artifacts first)`)
      process.exit(1)
    }
  }
  return dirs
}

function pack(cwd) {
  const res = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd, encoding: 'utf8' })
  const [info] = JSON.parse(res)
  const file = path.join(out, info.filename)
  return { file, bytes: fs.statSync(file).size, unpackedBytes: info.unpackedSize, entries: info.entryCount }
}

/** A copy of what `npm pack` would take from the root, with a package.json fit for users. */
function stageMain() {
  const [listing] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }))
  const stage = path.join(out, '.stage', 'pcmtap')
  fs.rmSync(stage, { recursive: true, force: true })
  for (const { path: rel } of listing.files) {
    fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true })
    fs.copyFileSync(path.join(root, rel), path.join(stage, rel))
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  delete pkg.scripts
  delete pkg.devDependencies
  delete pkg.overrides
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  return stage
}

const stage = stageMain()
const result = argv.includes('--all')
  ? { ...Object.fromEntries(allPlatformDirs().map((d) => [path.basename(d), pack(d)])), main: pack(stage) }
  : { platform: pack(platformDir()), main: pack(stage) }
fs.rmSync(path.join(out, '.stage'), { recursive: true, force: true })
if (json) console.log(JSON.stringify(result))
for (const [k, v] of Object.entries(result)) {
  log(`${k.padEnd(8)} ${v.file}  ${(v.bytes / 1024).toFixed(1)} KiB (unpacked ${(v.unpackedBytes / 1024).toFixed(1)} KiB, ${v.entries} files)`)
}
if (result.platform) log(`Install both into an app: npm install ${result.platform.file} ${result.main.file}`)
