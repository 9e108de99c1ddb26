import type { RunResult, RunSettings } from '../result';

type Row = [label: string, get: (r: RunResult) => string];

/**
 * A figure as every report shows it: two decimals, none for a whole number, `—` unknown.
 * The chart's legend uses it too (it printed peak ÷ mean as 1.201 beside the table's 1.20).
 */
export const num = (x: number | null, digits = 2) => (x === null ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
const ms = (x: number | null) => (x === null ? 'never' : `${x} ms`);

/**
 * "Nobody dropped" first: with no offline time at all, "never / never" read as "never
 * came back", also when clients are not back because they never noticed the fault (a
 * half-open connection; `not back` counts them). `never` is for clients that dropped and
 * did not come back. (`dropped` unknown, null, or absent in a result from before it: judged
 * as before it, nobody dropped when every client is back and no offline time was measured.)
 */
function offline(r: RunResult): string {
  const dropped = r.dropped as number | null | undefined;
  const nobodyDropped = dropped !== null && dropped !== undefined ? dropped === 0 : r.notBack === 0 && r.offlineP50Ms === null && r.offlineP99Ms === null;
  if (nobodyDropped) return 'n/a (nobody dropped)';
  return `${ms(r.offlineP50Ms)} / ${ms(r.offlineP99Ms)}`;
}

const ROWS: Row[] = [
  ['scenario', (r) => r.scenario],
  ['strategy', (r) => r.strategy],
  ['server hint', (r) => (r.serverHint ? 'on' : 'off')],
  ['clients', (r) => String(r.clients)],
  ['admission rate /s', (r) => (r.nodes > 1 && r.admissionRate !== null ? `${num(r.admissionRate)} × ${r.nodes} nodes` : num(r.admissionRate))],
  ['attempts', (r) => String(r.attempts)],
  ['attempts / client', (r) => num(r.attemptsPerClient)],
  ['peak / 100 ms', (r) => String(r.peak)],
  ['peak rate /s', (r) => num(r.peakPerSec)],
  // No attempts: no ratio (it printed 0, as if flatter than flat); `—` is for unknown.
  ['peak ÷ mean', (r) => (r.peakToMean === null ? 'n/a (no attempts)' : num(r.peakToMean))],
  ['peak ÷ capacity', (r) => (r.peakToMean === null && r.admissionRate !== null ? 'n/a (no attempts)' : num(r.peakOverCapacity))],
  ['t50', (r) => ms(r.t50Ms)],
  ['t99', (r) => ms(r.t99Ms)],
  ['t100', (r) => ms(r.t100Ms)],
  ['offline p50 / p99', offline],
  ['not back', (r) => String(r.notBack)],
  ['refused', (r) => String(r.refused)],
  ['server accepted (peak /s)', (r) => (r.serverAccepted === null ? '—' : `${r.serverAccepted} (${num(r.serverAcceptedPeakPerSec)}/s)`)],
  // Per channel (the run publishes channels × it): the achieved rate beside the one asked.
  ['publish rate /s per channel', publishRate],
  ['published', (r) => String(r.published)],
  ['delivered', (r) => String(r.delivered)],
  ['lost', (r) => String(r.lost)],
  ['undelivered (clients not back)', (r) => String(r.undelivered)],
  ['duplicated', (r) => String(r.duplicated)],
  ['reordered', (r) => String(r.reordered)],
  ['gaps (msgs in gaps)', (r) => `${r.gaps} (${r.gapped})`],
  // How the run was produced (a result from before the settings were recorded: —).
  ['channels', (r) => String(r.channels)],
  ['duration', (r) => setting(r, (s) => `${s.durationMs} ms`)],
  ['down (restart)', (r) => setting(r, (s) => `${s.downMs} ms`)],
  ['backoff base / cap', (r) => setting(r, (s) => `${s.initialDelayMs} / ${s.maxDelayMs} ms`)],
  ['heartbeat', (r) => setting(r, (s) => (s.heartbeatMs === null ? 'the target\'s' : `${s.heartbeatMs} ms`))],
  ['target', (r) => setting(r, (s) => s.target ?? 'embedded')],
  ['broker', (r) => setting(r, (s) => s.broker ?? '—')],
  ['workers', (r) => setting(r, (s) => String(s.workers))],
  ['seed', (r) => String(r.seed)],
  ['storm version', (r) => setting(r, (s) => s.stormVersion)],
  ['started', (r) => setting(r, (s) => s.startedAt)],
];

/** A setting of the run, `—` for a result without settings (from before they were recorded). */
function setting(r: RunResult, get: (s: RunSettings) => string): string {
  const s = r.settings as RunSettings | null | undefined;
  return s ? get(s) : '—';
}

/** `5 asked, 4.98 achieved`; `—` where unknown. */
function publishRate(r: RunResult): string {
  const asked = r.publishRate as number | null | undefined;
  const achieved = r.achievedPublishRate as number | null | undefined;
  if (asked === null || asked === undefined) return '—';
  return `${num(asked)} asked, ${achieved === null || achieved === undefined ? '—' : num(achieved)} achieved`;
}

/** The summary as rows of label + one value per run (side by side for --compare). */
export function tableRows(results: readonly RunResult[]): string[][] {
  return ROWS.map(([label, get]) => [label, ...results.map(get)]);
}

/** A plain-text table, one column per run. */
export function formatTable(results: readonly RunResult[]): string {
  const rows = tableRows(results);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const sep = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}
