// Small numeric helpers shared by every benchmark. Kept dependency-free so a
// benchmark child process can import them without loading anything else.

/** Median of a list of numbers (NaN for an empty list). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an unsorted list. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const v = Float64Array.from(values).sort();
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

/** Formats a number with a fixed number of decimals, or "—" when not finite. */
export function fmt(value, decimals = 1) {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `ratio` as "0.93×", or "—". */
export function fmtRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/** Renders rows (arrays of strings) as a GitHub-flavoured markdown table. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Renders the same rows as an aligned plain-text table for the console. */
export function textTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
