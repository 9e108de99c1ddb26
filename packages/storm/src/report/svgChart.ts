import type { RunResult } from '../result';
import { num } from './table';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Label of a run in legends and notes: strategy plus hint, `full + hint` or `full (no
 * hint)` (a bare `full` next to `full + hint` did not say which one it was).
 */
export function runLabel(r: RunResult): string {
  return `${r.strategy}${r.serverHint ? ' + hint' : ' (no hint)'}`;
}

/**
 * Inline SVG: connection attempts per bin over time since the fault, one line per
 * run, with the admission capacity per bin as a dashed line. `height` is the chart's
 * without its legend, whose rows (16 px a run) are added above the plot.
 */
export function attemptsChart(results: readonly RunResult[], width = 860, height = 320): string {
  // The legend gets rows of its own above the plot, the SVG growing by them: drawn inside
  // the plot's top-left corner, it sat on the early peaks (a `none` restart's first tower
  // ran through its text).
  const legendH = results.length * LEGEND_ROW;
  const pad = { left: 56, right: 16, top: 16 + legendH, bottom: 40 };
  const fullHeight = height + legendH;
  const w = width - pad.left - pad.right;
  const h = fullHeight - pad.top - pad.bottom;
  const binMs = results[0]?.binMs ?? 100;
  const bins = Math.max(1, ...results.map((r) => r.attemptsPerBin.length));
  const capacity = results.map((r) => (r.admissionRate ? (r.admissionRate * (r.nodes ?? 1) * r.binMs) / 1000 : 0));
  const yMax = niceCeil(Math.max(1, ...results.map((r) => r.peak), ...capacity));
  const x = (i: number) => pad.left + (i / bins) * w;
  const y = (v: number) => pad.top + h - (v / yMax) * h;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${fullHeight}" width="${width}" height="${fullHeight}" role="img" aria-label="connection attempts per ${binMs} ms">`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${fullHeight}" fill="#fff"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line x1="${pad.left}" x2="${pad.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#555">${Math.round(v)}</text>`);
  }
  const spanMs = bins * binMs;
  const stepMs = tickStepMs(spanMs);
  for (let ms = 0; ms <= spanMs; ms += stepMs) {
    const px = x(ms / binMs);
    parts.push(`<text x="${px}" y="${pad.top + h + 16}" font-size="11" text-anchor="middle" fill="#555">${ms / 1000}s</text>`);
  }
  parts.push(`<text x="${pad.left + w / 2}" y="${fullHeight - 6}" font-size="12" text-anchor="middle" fill="#333">time since fault</text>`);
  parts.push(`<text x="14" y="${pad.top + h / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${pad.top + h / 2})">attempts / ${binMs} ms</text>`);
  const cap = Math.max(...capacity);
  if (cap > 0) {
    parts.push(`<line x1="${pad.left}" x2="${pad.left + w}" y1="${y(cap)}" y2="${y(cap)}" stroke="#000" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${pad.left + w - 4}" y="${y(cap) - 4}" font-size="11" text-anchor="end">admission capacity</text>`);
  }
  results.forEach((r, i) => {
    const color = COLORS[i % COLORS.length]!;
    // The series ends with the bin of the last attempt, so a line drawn through the bins
    // alone stopped in mid-air at that bin's value (a `none` wave ended at its peak, as if
    // cut off) and a wave inside one bin was a lone point, which SVG does not draw: the line
    // goes down to 0 at the end of that bin, where the attempts stopped.
    const series = r.attemptsPerBin.map((v, b) => [x(b + 0.5), y(v)] as const);
    if (series.length > 0) series.push([x(r.attemptsPerBin.length), y(0)]);
    const pts = series.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    const ly = 14 + i * LEGEND_ROW;
    parts.push(`<rect x="${pad.left + 10}" y="${ly - 9}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${pad.left + 28}" y="${ly - 4}" font-size="11">${escapeXml(runLabel(r))}: peak ${num(r.peakPerSec)}/s, peak÷mean ${r.peakToMean === null ? 'n/a' : num(r.peakToMean)}, ${num(r.attemptsPerClient)} att/client</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Height of one legend row, px. */
const LEGEND_ROW = 16;

/** Time-axis tick steps, ms: the first that puts at most {@link MAX_TICKS} ticks on the axis is used. */
const TICK_STEPS_MS = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];
const MAX_TICKS = 12;

/**
 * The time axis's tick step for a span of `spanMs`. A fixed 1/2/5 s step left a wave shorter
 * than a second (a blip of 100 clients: 0.6 s) with the one tick `0s`, so the chart had no
 * time scale, and a 1-hour run with 720 overlapping labels.
 */
export function tickStepMs(spanMs: number): number {
  return TICK_STEPS_MS.find((step) => spanMs / step <= MAX_TICKS) ?? TICK_STEPS_MS.at(-1)!;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
