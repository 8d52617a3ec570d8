#!/usr/bin/env node
'use strict'
// The `pcmtap` command (see cli/usage.js). Ctrl-C ends a recording cleanly: the WAV is finished
// and the summary printed; a second Ctrl-C exits at once (the header was kept current anyway).
const ac = new AbortController()
process.on('SIGINT', () => {
  if (ac.signal.aborted) process.exit(130)
  ac.abort()
})
const { main } = require('../cli/main')
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: ac.signal }).then((code) => {
  process.exitCode = code
})
