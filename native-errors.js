'use strict'
// Why the native addon failed to load, in words a user can act on (used by native.js), and the
// napi-rs platform name of this process (also used by scripts/pack-local.js). JS thread, at load.
const os = require('node:os')
const { version } = require('./package.json')

const SUPPORTED = ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']
const MACOS_MIN = '14.2' // cpal's Core Audio imports need it: see README "Platforms"

/** The napi-rs platform name of this process: linux-x64-gnu, darwin-arm64, win32-x64-msvc, … */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
    const glibc = report && report.header && report.header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** Every message in an error and its `cause` chain (the generated loader chains one per attempt). */
function messages(err) {
  const out = []
  for (let e = err; e && out.length < 32; e = e.cause) out.push(String(e.message ?? e))
  return out
}

function loadError(err) {
  const name = platformName()
  const all = messages(err)
  let message
  const alsa = all.find((m) => m.includes('libasound.so.2'))
  if (alsa) {
    message =
      'pcmtap: cannot load the native addon because libasound.so.2 (the ALSA library) is missing or unusable.\n' +
      'Install it: Debian/Ubuntu `apt-get install libasound2` (Ubuntu 24.04+: libasound2t64), ' +
      'Fedora `dnf install alsa-lib`, Arch `pacman -S alsa-lib`.\n' +
      `The loader said: ${alsa}`
  } else if (process.platform === 'darwin' && macosOlderThan(MACOS_MIN)) {
    message = `pcmtap: needs macOS ${MACOS_MIN} or later (this is Darwin ${os.release()}): the Core Audio functions it imports do not exist before that.`
  } else if (!SUPPORTED.includes(name)) {
    message =
      `pcmtap: there is no prebuilt binary for ${name}. Prebuilt: ${SUPPORTED.join(', ')}.\n` +
      'To build it yourself: clone the repository and run `npm install` there (needs Rust, https://rustup.rs).'
  } else if (all.some((m) => m.includes(`Cannot find module 'pcmtap-${name}'`))) {
    message =
      `pcmtap: the native binary for this platform (${name}) is not installed: the package pcmtap-${name} is missing.\n` +
      `npm installs it as an optional dependency of pcmtap; it is left out by --omit=optional (or --no-optional), ` +
      'when node_modules or package-lock.json were made on another platform, or by npm bug https://github.com/npm/cli/issues/4828.\n' +
      `Fix: npm install pcmtap-${name}@${version}  (or: rm -rf node_modules package-lock.json && npm install)`
  } else {
    message = `pcmtap: the native addon for ${name} failed to load: ${all[all.length - 1]}\nAll attempts:\n  ${all.join('\n  ')}`
  }
  const e = new Error(message, { cause: err })
  e.code = 'ERR_PCMTAP_NATIVE_LOAD'
  return e
}

function macosOlderThan(min) {
  // Darwin 23.2 is macOS 14.2; Darwin N (N >= 20) is macOS N - 9.
  const [major, minor] = os.release().split('.').map(Number)
  const [wantMajor, wantMinor] = min.split('.').map(Number)
  const macMajor = major - 9
  return macMajor < wantMajor || (macMajor === wantMajor && minor < wantMinor)
}

module.exports = { platformName, loadError, SUPPORTED }
