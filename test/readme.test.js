'use strict'
// Every code block in README.md and docs/*.md runs as written. ```js blocks run as CommonJS, ```mjs blocks as
// ES modules, each in its own `node` process, from a file inside this package so that
// require('pcmtap') / import 'pcmtap' resolve to it (package self-reference). ```sh blocks that
// call `pcmtap` run in `sh -e` with the CLI on PATH. Device blocks use the test audio server
// (scripts/audio-server.sh) as the machine's sound server. A ```sh block driving
// scripts/audio-server.sh (the README's "without a sound card") runs as written too, with a
// server of its own (a private PCMTAP_AUDIO_DIR). Other ```sh blocks must be the ones run
// elsewhere (listed below); ```text blocks are diagrams and shapes. An unlabelled or
// unknown fence fails the test, so no block can slip past unrun.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('./spawn')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT, childReport } = require('./helpers')
const { ensureAudioServer, skipReason } = require('./audio-server')

const server = ensureAudioServer()
// Shell blocks run by another test or by CI, not here (where, in the comment).
const RUN_ELSEWHERE = new Map([
  ['npm install && npm run demo\nnpm test', '.ci/run runs the quick start in a clean clone'],
  ['npm run pack:local', 'test/install.test.js packs the tarballs and installs them into an empty app'],
  ['npm run test:windows', '.ci/run runs it (Wine and the Windows build)'],
])

const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

function blocks() {
  const out = []
  for (const doc of DOCS) {
    const md = fs.readFileSync(path.join(ROOT, doc), 'utf8')
    const re = /^```(.*)\n([\s\S]*?)^```$/gm
    let m
    while ((m = re.exec(md))) out.push({ doc, lang: m[1].trim(), code: m[2], line: md.slice(0, m.index).split('\n').length })
  }
  return out
}

/** A block that drives the test audio server as the README shows it (no comment-only lines). */
const drivesServer = (code) =>
  code.trim().split('\n').every((l) => /^(bash scripts\/audio-server\.sh |eval "\$\(bash scripts\/audio-server\.sh env\)"|pcmtap )/.test(l))

const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.readme-'))
test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
const cliBin = path.join(dir, 'bin')
fs.mkdirSync(cliBin)
fs.symlinkSync(path.join(ROOT, 'bin', 'pcmtap.js'), path.join(cliBin, 'pcmtap'))

test('the README and docs have code blocks, each fence labelled js, mjs, sh or text', () => {
  const all = blocks()
  assert.ok(all.filter((b) => b.doc === 'README.md' && (b.lang === 'js' || b.lang === 'mjs')).length >= 6, 'too few README JavaScript blocks: did the extraction break?')
  assert.ok(all.some((b) => b.doc !== 'README.md'), 'no block in docs/: did the extraction break?')
  for (const b of all) assert.ok(['js', 'mjs', 'sh', 'text'].includes(b.lang), `${b.doc}:${b.line}: fence '${b.lang}'`)
  for (const b of all.filter((x) => x.lang === 'sh')) {
    const code = b.code.trim()
    const runs = RUN_ELSEWHERE.has(code) || code.split('\n').every((l) => l.startsWith('pcmtap ')) || drivesServer(stripComments(code))
    assert.ok(runs, `${b.doc}:${b.line}: a shell block nobody runs:\n${code}`)
  }
})

/** The block without its trailing `# …` comments (the shell ignores them too). */
function stripComments(code) {
  return code.split('\n').map((l) => l.replace(/\s+#.*$/, '')).join('\n')
}

for (const b of blocks()) {
  const server_ = b.lang === 'sh' && !b.code.startsWith('pcmtap ') && drivesServer(stripComments(b.code))
  if (b.lang !== 'js' && b.lang !== 'mjs' && !(b.lang === 'sh' && (b.code.startsWith('pcmtap ') || server_))) continue
  test(`${b.doc}:${b.line} (${b.lang}) runs as written`, async (t) => {
    const srv = await server
    if (!srv.ok) return t.skip(skipReason(srv))
    const cwd = fs.mkdtempSync(path.join(dir, 'run-'))
    const env = { ...process.env, PATH: `${cliBin}:${process.env.PATH}` }
    let r
    if (server_) {
      // From a clone's root, as the README says: `scripts/` is the package's own; the server's
      // state goes to a directory of this test's (the suite's server keeps running beside it).
      fs.symlinkSync(path.join(ROOT, 'scripts'), path.join(cwd, 'scripts'))
      const own = { ...env, PCMTAP_AUDIO_DIR: path.join(cwd, 'audio') }
      try {
        r = spawnSync('sh', ['-e', '-c', b.code], { cwd, env: own, encoding: 'utf8', timeout: 120_000 })
      } finally {
        spawnSync('bash', ['scripts/audio-server.sh', 'stop'], { cwd, env: own, encoding: 'utf8', timeout: 30_000 })
      }
      assert.equal(r.status, 0, `${b.doc}:${b.line}\n${childReport(r)}`)
      // What the block records is the tone it played, not the suite's server (its own PULSE_SERVER).
      const wavs = fs.readdirSync(cwd).filter((f) => f.endsWith('.wav'))
      assert.ok(wavs.length > 0, `${b.doc}:${b.line}: no WAV file written`)
      for (const w of wavs) {
        const wav = fs.readFileSync(path.join(cwd, w))
        const at = wav.indexOf('data') + 8
        const samples = new Int16Array(wav.buffer, wav.byteOffset + at, (wav.length - at) >> 1)
        assert.ok(samples.length >= 48000, `${w}: ${samples.length} samples`)
        assert.ok(samples.some((x) => Math.abs(x) > 4000), `${w}: silent (the block's own server and tone not recorded)`)
      }
      return
    }
    if (b.lang === 'sh') {
      r = spawnSync('sh', ['-e', '-c', b.code], { cwd, env, encoding: 'utf8', timeout: 60_000 })
    } else {
      const file = path.join(cwd, `block.${b.lang === 'js' ? 'cjs' : 'mjs'}`)
      fs.writeFileSync(file, b.code)
      r = spawnSync(process.execPath, [file], { cwd, env, encoding: 'utf8', timeout: 60_000 })
    }
    assert.equal(r.status, 0, `${b.doc}:${b.line}\n${childReport(r)}`)
    assert.doesNotMatch(r.stderr, /Warning|Error/, `${b.doc}:${b.line} printed to stderr:\n${r.stderr}`)
  })
}
