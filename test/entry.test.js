'use strict'
// The package entry points: CommonJS and ESM give the same API.
const test = require('node:test')
const assert = require('node:assert/strict')
const { runChild, childReport } = require('./helpers')

test('ESM import gives the same Capture as require', () => {
  const code = `
    import { Capture, SLOT_BYTES, codes } from 'pcmtap'
    import * as esm from 'pcmtap'
    import { createRequire } from 'node:module'
    const cjs = createRequire(import.meta.url)('pcmtap')
    if (Capture !== cjs.Capture) throw new Error('different Capture')
    for (const k of Object.keys(cjs)) if (esm[k] !== cjs[k]) throw new Error('ESM lacks ' + k)
    if (SLOT_BYTES !== 4096 || codes.CAPTURE_CLOSED !== 'CAPTURE_CLOSED') throw new Error('bad exports')
    new Capture({ source: 'synthetic' }).close()
    console.log('ESM OK')`
  const r = runChild(code, { args: ['--input-type=module'] })
  assert.equal(r.status, 0, childReport(r))
  assert.match(r.stdout, /ESM OK/)
})

test('hosts(): alsa is the default on Linux, both Linux hosts are compiled in', { skip: process.platform !== 'linux' && 'Linux build only' }, () => {
  const { hosts } = require('..')
  const h = hosts()
  assert.equal(h.default, 'alsa')
  assert.deepEqual([...h.compiled].sort(), ['alsa', 'pulseaudio'])
})
