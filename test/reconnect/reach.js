'use strict'
// How test/reconnect/child.js reaches its private server, set by PCMTAP_TEST_REACH:
//   unset        PULSE_SERVER=unix:<dir>/native, as scripts/audio-server.sh exports it
//   'tcp'        module-native-protocol-tcp on 127.0.0.1:$PCMTAP_TEST_TCP_PORT (anonymous auth),
//                PULSE_SERVER=tcp:127.0.0.1:<port>
//   'clientconf' no PULSE_SERVER: only $HOME/.config/pulse/client.conf's default-server names
//                the server (the test gives the child a scratch HOME)
// XDG_RUNTIME_DIR is the test's choice (unset, or a directory with no server in it).
// Not a test file. JS thread.
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const MODE = process.env.PCMTAP_TEST_REACH || 'unix'

function pactl(server, ...args) {
  return new Promise((resolve, reject) => {
    execFile('pactl', args, { env: { ...process.env, PULSE_SERVER: server }, encoding: 'utf8', timeout: 10_000 }, (err, out, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(out.trim()),
    )
  })
}

/** Called after each start of the server, with process.env holding the script's exports
 * (PULSE_SERVER=unix:…, PULSE_COOKIE): points this process at the server the way MODE says. */
async function reach() {
  const unix = process.env.PULSE_SERVER
  reach.unix = unix
  if (MODE === 'tcp') {
    const port = process.env.PCMTAP_TEST_TCP_PORT
    await pactl(unix, 'load-module', 'module-native-protocol-tcp', 'auth-anonymous=1', 'listen=127.0.0.1', `port=${port}`)
    process.env.PULSE_SERVER = `tcp:127.0.0.1:${port}`
  } else if (MODE === 'clientconf') {
    const dir = path.join(process.env.HOME, '.config', 'pulse')
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'client.conf'), `default-server = ${unix}\ncookie-file = ${process.env.PULSE_COOKIE}\n`)
    delete process.env.PULSE_SERVER
    delete process.env.PULSE_COOKIE
  }
}

/** pactl against the server whatever MODE is (over its Unix socket). */
reach.pactl = (...args) => pactl(reach.unix, ...args)
reach.mode = MODE

module.exports = { reach }
