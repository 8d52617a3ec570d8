'use strict'
// A small dependency-free SVG writer for the heap-growth chart (runner process): panel 1 rss,
// panel 2 external (MiB) over audio seconds, one line per mode (first round); panel 3 the GC
// pauses of that round (one dot per GC, ms). Warm-up is shaded.
const COLORS = { autoRelease: '#1b9e77', release: '#7570b3', 'gc-only': '#d95f02', copy: '#e7298a', decibri: '#666666' }
const W = 900
const PANEL_H = 190
const M = { l: 64, r: 150, t: 34, b: 34 }

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const n1 = (x) => (Math.round(x * 10) / 10).toString()

function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1
  const step0 = span / count
  const mag = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= step0)
  const out = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** One panel: series [{ color, points: [[x, y]], dots }] inside a frame at y offset `top`. */
function panel(top, title, yLabel, xMax, series, warmup) {
  const ys = series.flatMap((s) => s.points.map((p) => p[1]))
  let lo = Math.min(...ys)
  let hi = Math.max(...ys)
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1]
  if (series.some((s) => s.dots)) lo = 0
  const pad = (hi - lo) * 0.05 || 0.5
  lo -= series.some((s) => s.dots) ? 0 : pad
  hi += pad
  const iw = W - M.l - M.r
  const X = (x) => M.l + (x / (xMax || 1)) * iw
  const Y = (y) => top + PANEL_H - ((y - lo) / (hi - lo)) * PANEL_H
  const out = [`<text x="${M.l}" y="${top - 8}" font-weight="bold">${esc(title)}</text>`]
  out.push(`<rect x="${M.l}" y="${top}" width="${n1(X(Math.min(warmup, xMax)) - M.l)}" height="${PANEL_H}" fill="#f0f0f0"/>`)
  for (const v of ticks(lo, hi)) {
    out.push(`<line x1="${M.l}" x2="${M.l + iw}" y1="${n1(Y(v))}" y2="${n1(Y(v))}" stroke="#ddd"/>`)
    out.push(`<text x="${M.l - 6}" y="${n1(Y(v) + 4)}" text-anchor="end">${v}</text>`)
  }
  for (const v of ticks(0, xMax)) out.push(`<text x="${n1(X(v))}" y="${top + PANEL_H + 16}" text-anchor="middle">${v}</text>`)
  out.push(`<text x="14" y="${top + PANEL_H / 2}" transform="rotate(-90 14 ${top + PANEL_H / 2})" text-anchor="middle">${esc(yLabel)}</text>`)
  out.push(`<rect x="${M.l}" y="${top}" width="${iw}" height="${PANEL_H}" fill="none" stroke="#999"/>`)
  for (const s of series) {
    if (s.dots) {
      for (const [x, y] of s.points) out.push(`<circle cx="${n1(X(x))}" cy="${n1(Y(y))}" r="2" fill="${s.color}" fill-opacity="0.7"/>`)
    } else if (s.points.length) {
      // At most ~1 point per pixel column keeps long runs small.
      const step = Math.max(1, Math.floor(s.points.length / iw))
      const pts = s.points.filter((_, i) => i % step === 0 || i === s.points.length - 1)
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.map(([x, y]) => `${n1(X(x))},${n1(Y(y))}`).join(' ')}"/>`)
    }
  }
  return out.join('\n')
}

function chart(meta, runs) {
  const modes = Object.keys(runs)
  const first = Object.fromEntries(modes.map((m) => [m, runs[m][0]]))
  const xMax = Math.max(...modes.map((m) => first[m].samples.at(-1)?.packets ?? 0)) / 100
  const line = (k) => modes.map((m) => ({ color: COLORS[m], points: first[m].samples.map((s) => [s.packets / 100, s[k] / 1048576]) }))
  // GC entries carry wall time; place them on the audio-seconds axis through the samples.
  const gcDots = modes.map((m) => {
    const s = first[m].samples
    let j = 0
    // Only the collections inside the sampled run (the classic phase after it is not drawn).
    const points = first[m].gc.filter((e) => s.length && e.t <= s[s.length - 1].t).map((e) => {
      while (j < s.length - 1 && s[j + 1].t <= e.t) j++
      return [s[j].packets / 100, e.ms]
    })
    return { color: COLORS[m], points, dots: true }
  })
  const unit = meta.paced ? 'seconds (real time)' : 'simulated seconds (time-compressed)'
  const H = M.t + 3 * (PANEL_H + M.b + 22) + 10
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.l}" y="16" font-size="13" font-weight="bold">${esc(`pcmtap heap-growth, ${meta.scenario} (${meta.source}), round 1; x: ${unit}; grey: warm-up`)}</text>`,
  ]
  const tops = [0, 1, 2].map((i) => M.t + 18 + i * (PANEL_H + M.b + 22))
  parts.push(panel(tops[0], 'rss (MiB), sampled without forcing GC', 'MiB', xMax, line('rss'), meta.warmup))
  parts.push(panel(tops[1], 'external (MiB): native memory V8 accounts for', 'MiB', xMax, line('external'), meta.warmup))
  parts.push(panel(tops[2], 'GC pauses (ms), one dot per collection (own forced gc() excluded)', 'ms', xMax, gcDots, meta.warmup))
  modes.forEach((m, i) => {
    const y = M.t + 30 + i * 18
    parts.push(`<line x1="${W - M.r + 14}" x2="${W - M.r + 38}" y1="${y}" y2="${y}" stroke="${COLORS[m]}" stroke-width="3"/>`)
    parts.push(`<text x="${W - M.r + 44}" y="${y + 4}">${esc(m)}</text>`)
  })
  parts.push('</svg>\n')
  return parts.join('\n')
}

module.exports = { chart }
