'use strict'
// Entry of the heap-growth benchmark (see heap-growth/runner.js and bench/README.md):
//   node bench/heap-growth.js --scenario realtime|device|hour|ten-hours|soak [--rounds K]
//     [--modes autoRelease,release,gc-only,copy,decibri] [--warmup s] [--seconds s | --minutes m]
//     [--sample-ms ms] [--classic IxS] [--concurrent | --sequential] [--tag name] [--out-dir dir]
//   node bench/heap-growth.js --render bench/results/heap-growth-<tag>.json   (tables and chart again)
require('./heap-growth/runner')
  .main()
  .catch((e) => {
    console.error(e.stack || e)
    process.exit(1)
  })
