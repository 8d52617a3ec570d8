'use strict'
// The published shape, installed as a user would: `npm run pack:local` makes the platform
// tarball and the main tarball; an empty app installs them with no cargo and no rustc on PATH,
// with --ignore-scripts (and, separately, --strict-allow-scripts, which fails on any install
// script). Then require and import work, a 1 s synthetic capture and a 1 s capture from the test
// audio server succeed, and the installed package holds no Rust. Load errors a user can act on:
// a missing platform package, an unusable libasound.so.2. Everything runs in child processes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { ensureAudioServer, tone, unloadModule, skipReason } = require('./audio-server')
const { platformName } = require('../native-errors.js')

const server = ensureAudioServer()
const PLATFORM = platformName()
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pcmtap-install-'))
test.after(() => fs.rmSync(work, { recursive: true, force: true }))

// A PATH with node and npm but no cargo, no rustc: symlinks in a private bin dir, then only the
// system dirs (where Debian keeps no Rust unless someone apt-installed it: checked below).
const bin = path.join(work, 'bin')
fs.mkdirSync(bin)
fs.symlinkSync(process.execPath, path.join(bin, 'node'))
const npmCli = path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${fs.existsSync(npmCli) ? npmCli : require.resolve('npm/bin/npm-cli.js')}" "$@"\n`, { mode: 0o755 })
const PATH = `${bin}:/usr/bin:/bin`
const userEnv = { ...process.env, PATH, npm_config_cache: path.join(work, 'npm-cache') }
for (const k of Object.keys(userEnv)) if (k.startsWith('npm_') && k !== 'npm_config_cache') delete userEnv[k]

function run(cmd, args, { cwd, env = userEnv, timeout = 120_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error }
}

let tarballs = null
function packOnce() {
  if (tarballs) return tarballs
  const built = path.join(ROOT, `pcmtap.${PLATFORM}.node`)
  assert.ok(fs.existsSync(built), `${built} is missing: run npm install (or npm run build) first`)
  const r = run(process.execPath, [path.join(ROOT, 'scripts', 'pack-local.js'), '--no-build', '--json', '--out', path.join(work, 'tarballs')], { cwd: ROOT, env: process.env })
  assert.equal(r.status, 0, childReport(r))
  tarballs = JSON.parse(r.stdout)
  return tarballs
}

function makeApp(name) {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  const r = run('npm', ['init', '-y'], { cwd: dir })
  assert.equal(r.status, 0, childReport(r))
  return dir
}

/** npm install, offline (nothing comes from the registry: the optional packages of other platforms are skipped). */
function npmInstall(dir, files, flags) {
  const t0 = process.hrtime.bigint()
  const r = run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...flags, ...files], { cwd: dir })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  assert.equal(r.status, 0, childReport(r))
  return seconds
}

function node(dir, code, { esm = false, env = userEnv } = {}) {
  return run(process.execPath, [...(esm ? ['--input-type=module'] : []), '-e', code], { cwd: dir, env, timeout: 60_000 })
}

const CAPTURE_1S = (options) => `
  const { Capture } = require('pcmtap')
  const cap = new Capture(${JSON.stringify(options)})
  let frames = 0, sumSq = 0, n = 0
  cap.on('data', (buf, info) => {
    frames += info.frames
    const s = new Int16Array(buf.buffer, buf.byteOffset, buf.length / 2)
    for (const x of s) { sumSq += (x / 32768) ** 2; n++ }
    cap.release(buf)
  })
  cap.start().then(() => new Promise((r) => setTimeout(r, 1000))).then(() => cap.close()).then(() => {
    const st = cap.stats()
    console.log(JSON.stringify({ frames, rms: Math.sqrt(sumSq / Math.max(1, n)), mode: st.mode, hits: st.pool.hits, misses: st.pool.misses }))
  }, (err) => { console.error(err.code, err.message); process.exit(1) })`

test('the toolchain-free PATH really has no cargo and no rustc', () => {
  for (const tool of ['cargo', 'rustc']) {
    const r = run('sh', ['-c', `command -v ${tool}`])
    assert.notEqual(r.status, 0, `${tool} is on the test PATH (${PATH}): ${r.stdout}`)
  }
})

test('the two tarballs install into an empty app with --ignore-scripts, no cargo, no rustc; require, import and capture work', async (t) => {
  const { platform, main } = packOnce()
  const app = makeApp('app')
  const seconds = npmInstall(app, [platform.file, main.file], ['--ignore-scripts'])
  t.diagnostic(`tarballs: platform ${platform.bytes} B, main ${main.bytes} B; npm install took ${seconds.toFixed(2)} s`)

  const installed = path.join(app, 'node_modules', 'pcmtap')
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'))
  for (const s of ['preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts?.[s], undefined, `published package has a ${s} script`)
  const files = fs.readdirSync(installed, { recursive: true }).map(String)
  assert.deepEqual(files.filter((f) => /\.rs$|Cargo\.(toml|lock)$|^target(\/|$)|^src(\/|$)|build\.rs$|\.node$/.test(f)), [])
  assert.ok(fs.existsSync(path.join(app, 'node_modules', `pcmtap-${PLATFORM}`, `pcmtap.${PLATFORM}.node`)))

  let r = node(app, `const p = require('pcmtap'); console.log(typeof p.Capture, p.SLOT_BYTES, require('pcmtap/package.json').version)`)
  assert.equal(r.status, 0, childReport(r))
  assert.equal(r.stdout.trim(), `function 4096 ${require('../package.json').version}`)
  r = node(app, `import { Capture, hosts } from 'pcmtap'; console.log(typeof Capture, hosts().compiled.length > 0)`, { esm: true })
  assert.equal(r.status, 0, childReport(r))
  assert.equal(r.stdout.trim(), 'function true')

  // pcmtap/wav, the CLI's WAV writer, from both module systems (the exports map and files).
  r = node(app, `const { WavWriter } = require('pcmtap/wav'); const w = new WavWriter('w.wav', { channels: 1 }); console.log(w.write(Buffer.alloc(96))); w.close()`)
  assert.equal(r.status, 0, childReport(r))
  assert.equal(r.stdout.trim(), '96')
  assert.equal(fs.statSync(path.join(app, 'w.wav')).size, 44 + 96)
  r = node(app, `import { WavWriter, RIFF_MAX } from 'pcmtap/wav'; console.log(typeof WavWriter, RIFF_MAX)`, { esm: true })
  assert.equal(r.status, 0, childReport(r))
  assert.equal(r.stdout.trim(), `function ${2 ** 32 - 1}`)
  assert.ok(fs.existsSync(path.join(installed, 'wav.d.ts')), 'the types of pcmtap/wav are installed')

  r = node(app, CAPTURE_1S({ source: 'synthetic', sampleRate: 48000, channels: 2 }))
  assert.equal(r.status, 0, childReport(r))
  const syn = JSON.parse(r.stdout)
  assert.ok(syn.frames >= 48000 * 0.9 && syn.frames <= 48000 * 1.1, `synthetic: ${syn.frames} frames in 1 s`)
  assert.ok(Math.abs(syn.rms - 0.3536) < 0.01, `synthetic sine RMS ${syn.rms}`)
  assert.equal(syn.mode, 'external')
  assert.equal(syn.misses, 0)

  r = run(path.join(app, 'node_modules', '.bin', 'pcmtap'), ['record', 'syn.wav', '--synthetic', '--seconds', '0.5'], { cwd: app })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /Wrote syn\.wav: 0\.50 s/)
  assert.equal(fs.statSync(path.join(app, 'syn.wav')).size, 44 + 24000 * 4)

  const srv = await server
  if (!srv.ok) return t.skip(skipReason(srv))
  const mod = await tone({ frequency: 1000 })
  try {
    r = node(app, CAPTURE_1S({ sampleRate: 48000, channels: 2 }), { env: { ...userEnv, PULSE_SERVER: process.env.PULSE_SERVER, PULSE_COOKIE: process.env.PULSE_COOKIE } })
  } finally {
    await unloadModule(mod)
  }
  assert.equal(r.status, 0, childReport(r))
  const dev = JSON.parse(r.stdout)
  assert.ok(dev.frames >= 48000 * 0.8, `device: ${dev.frames} frames in 1 s`)
  assert.ok(Math.abs(dev.rms - 0.3536) < 0.05, `device tone RMS ${dev.rms}`)
})

test('the tarballs also install with --strict-allow-scripts (the package has no install script)', () => {
  const { platform, main } = packOnce()
  const app = makeApp('strict')
  npmInstall(app, [platform.file, main.file], ['--strict-allow-scripts'])
  const r = node(app, `console.log(Object.keys(require('pcmtap')).join())`)
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /Capture/)
})

test('without the platform package, require names the platform and the fix in its first line', () => {
  const { main } = packOnce()
  const app = makeApp('noplatform')
  npmInstall(app, [main.file], ['--ignore-scripts'])
  const r = node(app, `try { require('pcmtap') } catch (e) { console.log(e.code); console.log(e.message) }`)
  assert.equal(r.status, 0, childReport(r))
  const [code, first, ...rest] = r.stdout.split('\n')
  assert.equal(code, 'ERR_PCMTAP_NATIVE_LOAD')
  assert.match(first, new RegExp(`native binary for this platform \\(${PLATFORM}\\).*pcmtap-${PLATFORM} is missing`))
  assert.match(rest.join('\n'), new RegExp(`Fix: npm install pcmtap-${PLATFORM}@\\d+\\.\\d+\\.\\d+`))
})

test('an unusable libasound.so.2 is named in the first line of the load error', { skip: process.platform !== 'linux' && 'ALSA is Linux only' }, () => {
  const { platform, main } = packOnce()
  const app = path.join(work, 'app')
  if (!fs.existsSync(path.join(app, 'node_modules', 'pcmtap'))) npmInstall(makeApp('alsa'), [platform.file, main.file], ['--ignore-scripts'])
  const dir = fs.existsSync(path.join(app, 'node_modules', 'pcmtap')) ? app : path.join(work, 'alsa')
  // The dynamic loader searches LD_LIBRARY_PATH first; an empty libasound.so.2 there makes
  // dlopen fail on exactly that library, as a missing one does.
  const libs = path.join(work, 'badlibs')
  fs.mkdirSync(libs, { recursive: true })
  fs.writeFileSync(path.join(libs, 'libasound.so.2'), '')
  const r = node(dir, `try { require('pcmtap') } catch (e) { console.log(e.message) }`, { env: { ...userEnv, LD_LIBRARY_PATH: libs } })
  assert.equal(r.status, 0, childReport(r))
  const first = r.stdout.split('\n')[0]
  assert.match(first, /libasound\.so\.2 \(the ALSA library\) is missing or unusable/)
  assert.match(r.stdout, /apt-get install libasound2/)
})
