#!/usr/bin/env node
'use strict'
// The `pcmtap` command (see cli/usage.js). Ctrl-C ends a recording cleanly: the WAV is finished
// and the summary printed; a second Ctrl-C exits at once (the header was kept current anyway).
// One Ctrl-C can arrive twice: from the terminal (to the whole process group) and relayed by a
// parent that forwards signals (npm exec / npx with a bash script-shell, process managers). A
// second SIGINT within DUPLICATE_MS of the first is that copy, not a second press.
const DUPLICATE_MS = 1000
const ac = new AbortController()
let firstAt = 0
process.on('SIGINT', () => {
  if (!ac.signal.aborted) {
    firstAt = performance.now()
    ac.abort()
  } else if (performance.now() - firstAt > DUPLICATE_MS) process.exit(130)
})
const { main } = require('../cli/main')
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: ac.signal }).then((code) => {
  // After a Ctrl-C, exit at once. Ending by itself, Node first closes its signal handle, which
  // gives SIGINT its default action back: a duplicate arriving then killed the process (exit by
  // signal, 130 to a shell) in 36 of 40 runs of a probe that sent SIGINTs during the exit; with
  // process.exit() in 0 of 40. Nothing is lost: stdout and stderr are synchronous on POSIX
  // (files, pipes and terminals). Windows has no such duplicate (Ctrl+C is a console event).
  if (ac.signal.aborted && process.platform !== 'win32') process.exit(code)
  process.exitCode = code
})
