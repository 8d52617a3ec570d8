'use strict'
// Pure arithmetic over one run's samples (runner process, JS thread): steady window, levels,
// least-squares slopes, consecutive batches, medians. No I/O, no timing.

const KEYS = ['rss', 'rssAnon', 'rssShmem', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']
const PACKETS_PER_AUDIO_SECOND = 100 // 480-frame packets at 48 kHz

/** Least-squares slope of ys over xs (0 for fewer than 2 distinct xs). */
function slope(xs, ys) {
  const n = xs.length
  if (n < 2) return 0
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

/** The samples after the warm-up (audio seconds, from the packet count). */
function steady(samples, warmupAudioSeconds) {
  return samples.filter((s) => s.packets / PACKETS_PER_AUDIO_SECOND >= warmupAudioSeconds)
}

/**
 * Levels and slopes of one run. Slopes are bytes per audio second (100 packets): the same as
 * bytes per wall second in real time, per simulated second when unpaced.
 */
function summarize(samples, warmupAudioSeconds) {
  const s = steady(samples, warmupAudioSeconds)
  const xs = s.map((p) => p.packets / PACKETS_PER_AUDIO_SECOND)
  const out = { samples: s.length, audioSeconds: xs.length ? xs[xs.length - 1] - xs[0] : 0 }
  for (const k of KEYS) {
    const ys = s.map((p) => p[k]).filter((y) => y !== undefined)
    out[k] = {
      mean: ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : NaN,
      peak: ys.length ? Math.max(...ys) : NaN,
      first: ys.length ? ys[0] : NaN,
      last: ys.length ? ys[ys.length - 1] : NaN,
      slope: slope(xs, ys),
    }
  }
  return out
}

/** Memory at the end of each of `n` equal parts of the steady window (nearest sample). */
function batches(samples, warmupAudioSeconds, n = 10) {
  const s = steady(samples, warmupAudioSeconds)
  if (s.length < 2) return []
  const p0 = s[0].packets
  const span = s[s.length - 1].packets - p0
  const out = []
  let j = 0
  for (let b = 1; b <= n; b++) {
    const target = p0 + (span * b) / n
    while (j < s.length - 1 && s[j + 1].packets <= target) j++
    out.push(Object.fromEntries([['packets', s[j].packets], ...KEYS.map((k) => [k, s[j][k]])]))
  }
  return out
}

/** GC entries of the steady window: count, pause total and max, per kind and overall. */
function gcSummary(entries, fromMs, toMs) {
  const by = {}
  const all = { count: 0, totalMs: 0, maxMs: 0 }
  for (const e of entries) {
    if (e.t < fromMs || e.t > toMs) continue
    const k = (by[e.kind] ??= { count: 0, totalMs: 0, maxMs: 0 })
    for (const acc of [k, all]) {
      acc.count++
      acc.totalMs += e.ms
      acc.maxMs = Math.max(acc.maxMs, e.ms)
    }
  }
  const minutes = (toMs - fromMs) / 60000
  return { ...all, perMinute: minutes > 0 ? all.count / minutes : NaN, byKind: by }
}

/** Median and min-max of `pick(run)` over runs. */
function spread(runs, pick) {
  const v = runs.map(pick).filter((x) => Number.isFinite(x))
  return { median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, n: v.length }
}

module.exports = { KEYS, PACKETS_PER_AUDIO_SECOND, slope, median, percentile, steady, summarize, batches, gcSummary, spread }
