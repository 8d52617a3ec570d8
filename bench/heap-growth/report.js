'use strict'
// Markdown tables of a heap-growth run (runner process). Every figure is the median over rounds
// with min-max in brackets; units: MiB levels, KiB per audio second slopes (= KiB/s in real
// time, per simulated second when unpaced).
const { summarize, batches, gcSummary, spread, median } = require('./stats')

const MiB = 1024 * 1024
const KiB = 1024

function cell(s, digits = 2) {
  if (!Number.isFinite(s.median)) return 'n/a'
  const f = (x) => x.toFixed(digits)
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median)
}

/** Per-run derived figures, computed once. */
function derive(meta, run) {
  const sum = summarize(run.samples, meta.warmup)
  const gc = gcSummary(run.gc, run.steady.fromMs, run.steady.toMs)
  const wallMs = run.steady.toMs - run.steady.fromMs
  return { run, sum, gc, cpuPct: (run.cpuMs / wallMs) * 100, gcTotalPerMin: gc.totalMs / (wallMs / 60000) }
}

function ratioCell(derived, mode, ref) {
  if (!derived[ref] || mode === ref) return mode === ref ? '1.00' : 'n/a'
  const byRound = new Map(derived[ref].map((d) => [d.run.round, d.cpuPct]))
  const ratios = derived[mode].filter((d) => byRound.has(d.run.round)).map((d) => d.cpuPct / byRound.get(d.run.round))
  return cell(spread(ratios, (x) => x))
}

function counters(d) {
  const s = d.run.statsSettled
  const e = d.run.statsAtEnd
  if (!s) return Array(6).fill('n/a').join(' | ') // decibri: no counters to read
  return [s.pool.hits, s.pool.misses, s.delivery.lowWaterCopies, `${e.pool.heldByJs} → ${s.pool.heldByJs}`, s.delivery.released, s.delivery.finalized].join(' | ')
}

function report(meta, runs) {
  const modes = Object.keys(runs)
  const derived = Object.fromEntries(modes.map((m) => [m, runs[m].map((r) => derive(meta, r))]))
  const sp = (m, f) => spread(derived[m], f)
  const label = meta.paced ? 'real time (100 packets/s)' : 'TIME-COMPRESSED (unpaced; "seconds" are simulated audio seconds)'
  const L = []
  L.push(`### heap-growth: ${meta.scenario}, ${meta.source} source, ${label}`)
  L.push('')
  L.push(`\`${meta.command}\` — ${meta.started.slice(0, 16).replace('T', ' ')} UTC; ${meta.machine}.`)
  L.push(`Each run a fresh process; ${meta.rounds} round(s), modes ${meta.concurrent ? 'run at the same time' : 'interleaved in rotating order'}; warm-up ${meta.warmup} s excluded, steady window ${meta.seconds} s; memoryUsage() sampled every ${meta.sampleMs} ms without forcing GC. Median (min–max) over rounds.`)
  L.push('')
  L.push('| mode | rss mean MiB | rss slope KiB/s | private (RssAnon) mean MiB | private slope KiB/s | external mean / peak MiB | external slope KiB/s | arrayBuffers mean / peak MiB | heapUsed slope KiB/s | retained rss / external / arrayBuffers MiB |')
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const m of modes) {
    const lv = (k, f) => cell(sp(m, (d) => d.sum[k][f] / MiB))
    const sl = (k) => cell(sp(m, (d) => d.sum[k].slope / KiB))
    const ret = ['rss', 'external', 'arrayBuffers'].map((k) => cell(sp(m, (d) => d.run.retained[k] / MiB))).join(' / ')
    L.push(`| ${m} | ${lv('rss', 'mean')} | ${sl('rss')} | ${lv('rssAnon', 'mean')} | ${sl('rssAnon')} | ${lv('external', 'mean')} / ${lv('external', 'peak')} | ${sl('external')} | ${lv('arrayBuffers', 'mean')} / ${lv('arrayBuffers', 'peak')} | ${sl('heapUsed')} | ${ret} |`)
  }
  L.push('')
  const refs = ['copy', 'decibri'].filter((r) => runs[r])
  L.push(`| mode | GCs/min | GCs per 10k packets | GC pause ms/min | GC pause max ms | minor / major / other GCs | CPU % of one core | ${refs.map((r) => `CPU ÷ ${r}`).join(' | ')}${refs.length ? ' | ' : ''}packets | end |`)
  L.push(`| --- | --- | --- | --- | --- | --- | --- | ${refs.map(() => '--- | ').join('')}--- | --- |`)
  for (const m of modes) {
    const kinds = (d, k) => d.gc.byKind[k]?.count ?? 0
    const other = (d) => d.gc.count - kinds(d, 'minor') - kinds(d, 'major')
    const kindCell = ['minor', 'major'].map((k) => cell(sp(m, (d) => kinds(d, k)), 0)).join(' / ') + ' / ' + cell(sp(m, other), 0)
    const ends = [...new Set(derived[m].map((d) => d.run.end + (d.run.reopens ? ` (re-opened ${d.run.reopens}× after DEVICE_LOST)` : '')))].join(', ')
    L.push(`| ${m} | ${cell(sp(m, (d) => d.gc.perMinute), 1)} | ${cell(sp(m, (d) => (d.gc.count * 1e4) / d.run.steady.packets), 1)} | ${cell(sp(m, (d) => d.gcTotalPerMin))} | ${cell(sp(m, (d) => d.gc.maxMs))} | ${kindCell} | ${cell(sp(m, (d) => d.cpuPct))} | ${refs.map((r) => ratioCell(derived, m, r) + ' | ').join('')}${cell(sp(m, (d) => d.run.packets), 0)} | ${ends} |`)
  }
  L.push('')
  L.push('Pool and delivery counters (last round, after the settled gc(); heldByJs: at the end of the window → after it):')
  L.push('')
  L.push('| mode | hits | misses | lowWaterCopies | heldByJs | released | finalized |')
  L.push('| --- | --- | --- | --- | --- | --- | --- |')
  for (const m of modes) L.push(`| ${m} | ${counters(derived[m][derived[m].length - 1])} |`)
  L.push('')
  L.push('Consecutive batches: rss, rssAnon (private memory), heapTotal (what V8 reserved for its heap) and external at the end of each tenth of the steady window, minus their value at its start (KiB; median over rounds). "No growth" means no trend along a row.')
  L.push('')
  L.push(`| mode | value | ${Array.from({ length: 10 }, (_, i) => `${i + 1}/10`).join(' | ')} |`)
  L.push(`| --- | --- | ${Array.from({ length: 10 }, () => '---').join(' | ')} |`)
  for (const m of modes) {
    for (const k of ['rss', 'rssAnon', 'heapTotal', 'external']) {
      const per = derived[m].map((d) => batches(d.run.samples, meta.warmup).map((b) => (b[k] - d.sum[k].first) / KiB))
      const cols = Array.from({ length: 10 }, (_, i) => median(per.map((p) => p[i])))
      L.push(`| ${m} | ${k} | ${cols.map((c) => (Number.isFinite(c) ? c.toFixed(0) : 'n/a')).join(' | ')} |`)
    }
  }
  if (meta.classic.iterations > 0) {
    L.push('')
    L.push(`The classic method on the same runs (heapUsed only, ${meta.classic.iterations} × ${meta.classic.seconds} s after the window, gc() before and after each): KiB/s.`)
    L.push('')
    L.push('| mode | median of iterations | min–max of single iterations |')
    L.push('| --- | --- | --- |')
    for (const m of modes) {
      const all = derived[m].flatMap((d) => d.run.classic.map((b) => b / KiB))
      L.push(`| ${m} | ${Number.isFinite(median(all)) ? median(all).toFixed(1) : 'n/a'} | ${all.length ? `${Math.min(...all).toFixed(1)} to ${Math.max(...all).toFixed(1)}` : 'n/a'} |`)
    }
    L.push('')
    L.push('Why it misleads: heapUsed leaves out every byte of native memory (external Buffers, copies\' backing stores, RSS), and a 15 s delta between two forced collections mostly measures where V8\'s allocation-driven heap growth happened to be, so it shows similar growth in every mode whatever native memory does.')
  }
  L.push('')
  return L.join('\n')
}

module.exports = { report, derive }
