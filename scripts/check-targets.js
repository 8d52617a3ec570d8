#!/usr/bin/env node
'use strict'
// `npm run check:targets [-- TRIPLE ...]`: type-checks the Rust code of every napi target that
// is not this machine's (package.json napi.targets) with `cargo check --target T --lib`, which
// needs only the target's std (`rustup target add T`), no linker and no SDK. Where the target
// cannot be added (no rustup, no network), it prints why and skips that target. Exit status 1
// only if a check ran and failed: a skip is reported, never counted as a pass.
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
const { napi } = require('../package.json')
const argv = process.argv.slice(2)

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts })
  return { ok: r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}`.trim(), error: r.error }
}

const host = /host: (\S+)/.exec(run('rustc', ['-vV']).out)?.[1]
const targets = argv.length ? argv : napi.targets.filter((t) => t !== host)
const results = []
for (const t of targets) {
  const installed = run('rustup', ['target', 'list', '--installed'])
  if (installed.error) {
    results.push({ target: t, result: 'skipped', why: 'rustup is not installed, so the target std cannot be added' })
    continue
  }
  if (!installed.out.split('\n').includes(t)) {
    console.log(`$ rustup target add ${t}`)
    const add = run('rustup', ['target', 'add', t])
    if (!add.ok) {
      // rustup's first `error:` line says why (a backtrace may follow it).
      const lines = add.out.split('\n').filter(Boolean)
      const why = lines.find((l) => l.startsWith('error:')) || lines[0] || 'rustup target add failed'
      results.push({ target: t, result: 'skipped', why: `\`rustup target add ${t}\` failed: ${why}` })
      continue
    }
  }
  const cmd = ['check', '--lib', '--release', '--target', t]
  console.log(`$ cargo ${cmd.join(' ')}`)
  // alsa-sys's build script asks pkg-config for ALSA's link flags and refuses when cross
  // compiling; a check links nothing, so the host's alsa.pc is good enough to get past it.
  const env = t.includes('-linux-') ? { ...process.env, PKG_CONFIG_ALLOW_CROSS: '1' } : process.env
  const r = spawnSync('cargo', cmd, { cwd: root, stdio: 'inherit', env })
  results.push({ target: t, result: r.status === 0 ? 'passed' : 'FAILED' })
}

console.log('\ntarget                       result   reason')
for (const r of results) console.log(`${r.target.padEnd(28)} ${r.result.padEnd(8)} ${r.why || ''}`)
if (host) console.log(`(${host} is this machine: built and tested by npm test)`)
process.exitCode = results.some((r) => r.result === 'FAILED') ? 1 : 0
