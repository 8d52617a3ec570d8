'use strict'
// Nothing after 'stop', whatever ends a device capture: stop(), close(), the server killed
// (then 'error' comes after the last packet and right before 'stop'), or reconnect giving up.
// The recorder here is the natural one: it writes every packet to a file and closes the file on
// 'stop', so a packet delivered after 'stop' throws EBADF from the capture's delivery (an
// uncaught exception, the child then exits non-zero). Every packet counted in stats() was seen
// by the 'data' listener and is in the file. Each host runs in a child process with its own
// private server (PCMTAP_AUDIO_DIR), which the kill cases stop; the other tests' is untouched.
const test = require('node:test')
const assert = require('node:assert/strict')
const { ensureAudioServer, skipReason, CHILD_PRELUDE, privateServerDir } = require('./audio-server')
const { runChild, childReport } = require('./helpers')

const server = ensureAudioServer()
const ENDINGS = ['stop', 'close', 'kill', 'kill', 'kill', 'give-up']

for (const host of ['alsa', 'pulseaudio']) {
  test(`${host}: every ending (${ENDINGS.join(', ')}): no 'data' after 'stop', 'error' after the last packet, every packet in the file`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const dir = privateServerDir(t)
    const code = `${CHILD_PRELUDE}
      const path = require('node:path')
      async function round(ending, i) {
        serverStart()
        const file = path.join(${JSON.stringify(dir)}, 'rec-' + i + '.raw')
        const fd = fs.openSync(file, 'w')
        const events = []
        let packets = 0, bytes = 0
        const extra = ending === 'give-up' ? { reconnect: { initialDelay: 50, giveUpAfter: 300 } } : {}
        const cap = new Capture({ ...OPTIONS[${JSON.stringify(host)}], ...extra })
        cap.on('data', (b) => { packets++; events.push('data'); bytes += fs.writeSync(fd, b); cap.release(b) })
        for (const e of ['error', 'disconnect', 'stop', 'close']) cap.on(e, (x) => events.push(e === 'error' ? 'error ' + x.code : e))
        cap.on('stop', () => fs.closeSync(fd))
        const stopped = new Promise((resolve) => cap.once('stop', resolve)) // events.once() would reject on 'error'
        await cap.start()
        while (packets < 20) await sleep(10)
        if (ending === 'stop') await cap.stop()
        else if (ending === 'close') await cap.close()
        else {
          process.kill(serverPid(), 'SIGKILL')
          await Promise.race([stopped, sleep(6000)])
        }
        await sleep(300) // a late packet would come now
        await cap.close()
        const runs = []
        for (const e of events) if (runs.length && runs.at(-1)[0] === e) runs.at(-1)[1]++; else runs.push([e, 1])
        return { ending, events: runs.map(([e, n]) => n > 1 ? e + ' x' + n : e), packets, delivered: cap.stats().delivery.packets, bytes, size: fs.statSync(file).size }
      }
      ;(async () => {
        const out = []
        for (const [i, ending] of ${JSON.stringify(ENDINGS)}.entries()) out.push(await round(ending, i))
        console.log('RESULT ' + JSON.stringify(out))
      })()`
    const r = runChild(code, { env: { PCMTAP_AUDIO_DIR: dir }, timeout: 120_000 })
    assert.equal(r.status, 0, `a packet after 'stop' throws EBADF from the delivery\n${childReport(r)}`)
    const m = r.stdout.match(/^RESULT (.*)$/m)
    assert.ok(m, childReport(r))
    const rounds = JSON.parse(m[1])
    t.diagnostic(rounds.map((x) => `${x.ending}: ${x.events.join(', ')}`).join(' | '))
    for (const x of rounds) {
      const ev = x.events.map((e) => e.replace(/ x\d+$/, ''))
      const want = {
        stop: ['data', 'stop', 'close'],
        close: ['data', 'stop', 'close'],
        kill: ['data', 'error DEVICE_LOST', 'stop', 'close'],
        'give-up': ['data', 'disconnect', 'error DEVICE_LOST', 'stop', 'close'],
      }[x.ending]
      assert.deepEqual(ev, want, `${x.ending}: ${x.events.join(', ')}`)
      assert.equal(x.packets, x.delivered, `${x.ending}: every packet stats() counts reached 'data'`)
      assert.equal(x.size, x.bytes, `${x.ending}: every packet is in the file`)
    }
  })
}
