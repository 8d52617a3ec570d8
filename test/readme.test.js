'use strict'
// Every code block in README.md runs as written. ```js blocks run as CommonJS, ```mjs blocks as
// ES modules, each in its own `node` process, from a file inside this package so that
// require('pcmtap') / import 'pcmtap' resolve to it (package self-reference). ```sh blocks that
// call `pcmtap` run in `sh -e` with the CLI on PATH. Device blocks use the test audio server
// (scripts/audio-server.sh) as the machine's sound server. Other ```sh blocks must be the ones
// run elsewhere (listed below); ```text blocks are diagrams and shapes. An unlabelled or
// unknown fence fails the test, so no block can slip past unrun.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { ensureAudioServer, skipReason } = require('./audio-server')

const server = ensureAudioServer()
// Shell blocks run by another test or by CI, not here (where, in the comment).
const RUN_ELSEWHERE = new Map([
  ['npm install && npm run demo\nnpm test', '.ci/run runs the quick start in a clean clone'],
  ['npm install pcmtap', 'test/install.test.js installs the packed tarballs into an empty app'],
  ['npm run test:windows', '.ci/run runs it (Wine and the Windows build)'],
])

function blocks() {
  const md = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const out = []
  const re = /^```(.*)\n([\s\S]*?)^```$/gm
  let m
  while ((m = re.exec(md))) out.push({ lang: m[1].trim(), code: m[2], line: md.slice(0, m.index).split('\n').length })
  return out
}

const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.readme-'))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
const cliBin = path.join(dir, 'bin')
fs.mkdirSync(cliBin)
fs.symlinkSync(path.join(ROOT, 'bin', 'pcmtap.js'), path.join(cliBin, 'pcmtap'))

test('the README has code blocks, each fence labelled js, mjs, sh or text', () => {
  const all = blocks()
  assert.ok(all.filter((b) => b.lang === 'js' || b.lang === 'mjs').length >= 3, 'too few JavaScript blocks: did the extraction break?')
  for (const b of all) assert.ok(['js', 'mjs', 'sh', 'text'].includes(b.lang), `README.md:${b.line}: fence '${b.lang}'`)
  for (const b of all.filter((x) => x.lang === 'sh')) {
    const code = b.code.trim()
    assert.ok(RUN_ELSEWHERE.has(code) || code.split('\n').every((l) => l.startsWith('pcmtap ')), `README.md:${b.line}: a shell block nobody runs:\n${code}`)
  }
})

for (const b of blocks()) {
  if (b.lang !== 'js' && b.lang !== 'mjs' && !(b.lang === 'sh' && b.code.startsWith('pcmtap '))) continue
  test(`README.md:${b.line} (${b.lang}) runs as written`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const cwd = fs.mkdtempSync(path.join(dir, 'run-'))
    const env = { ...process.env, PATH: `${cliBin}:${process.env.PATH}` }
    let r
    if (b.lang === 'sh') {
      r = spawnSync('sh', ['-e', '-c', b.code], { cwd, env, encoding: 'utf8', timeout: 60_000 })
    } else {
      const file = path.join(cwd, `block.${b.lang === 'js' ? 'cjs' : 'mjs'}`)
      fs.writeFileSync(file, b.code)
      r = spawnSync(process.execPath, [file], { cwd, env, encoding: 'utf8', timeout: 60_000 })
    }
    assert.equal(r.status, 0, `README.md:${b.line}\n${childReport(r)}`)
    assert.doesNotMatch(r.stderr, /Warning|Error/, `README.md:${b.line} printed to stderr:\n${r.stderr}`)
  })
}
