// Turns the raw per-run results of each benchmark into medians, ratios against the
// baseline of the same run, and tables (markdown for RESULTS.md, text for the console).
import { fmt, fmtRatio, markdownTable, median, textTable } from './stats.mjs';

const both = (header, rows) => ({ markdown: markdownTable(header, rows), text: textTable(header, rows) });
const list = (values, digits) => values.map((v) => fmt(v, digits)).join(', ');
const mark = (ok) => (ok ? '✅' : '❌');

/**
 * pairs: Array<{ kind, result, baseline }> where `baseline` is the raw-ws run taken
 * right next to `result` (same machine conditions). Ratios are medians of per-pair
 * ratios; the baseline row pools every baseline run.
 */
export function throughputSection(pairs, kinds, goal = 0.92) {
  const rows = [];
  const summary = {};
  const complete = (rs) => rs.every((r) => !r.timedOut && r.outOfOrder === 0);
  const base = pairs.map((p) => p.baseline);
  summary['raw-ws'] = { msgsPerSec: median(base.map((b) => b.msgsPerSec)), ratio: 1, cpuUsPerMsg: median(base.map((b) => b.cpuUsPerMsg)), cpuBoundRatio: 1 };
  rows.push([
    'raw ws + JSON.parse (baseline)',
    fmt(summary['raw-ws'].msgsPerSec / 1e6, 3),
    fmtRatio(1),
    fmt(summary['raw-ws'].cpuUsPerMsg, 2),
    fmtRatio(1),
    complete(base) ? 'all, in order' : 'INCOMPLETE',
    fmt(median(base.map((b) => b.cpuShare)), 2),
    list(base.map((b) => b.msgsPerSec / 1e6), 3),
  ]);
  for (const kind of kinds.filter((k) => k !== 'raw-ws')) {
    const per = pairs.filter((p) => p.kind === kind);
    const rates = per.map((p) => p.result.msgsPerSec);
    const cpu = per.map((p) => p.result.cpuUsPerMsg);
    summary[kind] = {
      msgsPerSec: median(rates),
      ratio: median(per.map((p) => p.result.msgsPerSec / p.baseline.msgsPerSec)),
      cpuUsPerMsg: median(cpu),
      // Messages per CPU-second relative to raw: the throughput each would reach on a core of its own.
      cpuBoundRatio: median(per.map((p) => p.baseline.cpuUsPerMsg / p.result.cpuUsPerMsg)),
    };
    rows.push([
      kind,
      fmt(summary[kind].msgsPerSec / 1e6, 3),
      fmtRatio(summary[kind].ratio),
      fmt(summary[kind].cpuUsPerMsg, 2),
      fmtRatio(summary[kind].cpuBoundRatio),
      complete(per.map((p) => p.result)) ? 'all, in order' : 'INCOMPLETE',
      fmt(median(per.map((p) => p.result.cpuShare)), 2),
      list(rates.map((r) => r / 1e6), 3),
    ]);
  }
  const ll = summary.lifeline;
  const note = ll
    ? `Goal: Lifeline ≥ ${goal} × raw ws → ${fmtRatio(ll.ratio)} wall-clock ${mark(ll.ratio >= goal)}, ${fmtRatio(ll.cpuBoundRatio)} per CPU-second ${mark(ll.cpuBoundRatio >= goal)}`
    : '';
  return {
    summary,
    note,
    ...both(['client', 'M msg/s (median)', '× raw (paired runs)', 'CPU µs/msg', 'msg per CPU-s × raw', 'delivered', 'CPU share of wall time', 'M msg/s per run'], rows),
  };
}

export function memorySection(runs, kinds, goalKb = 4.5) {
  const rows = [];
  const summary = {};
  for (const kind of kinds) {
    const per = runs.map((r) => r[kind]).filter(Boolean);
    const heap = median(per.map((p) => p.heapKbPerClient));
    const rss = median(per.map((p) => p.rssKbPerClient));
    const ratios = runs.filter((r) => r[kind] && r['raw-ws']).map((r) => r[kind].heapKbPerClient / r['raw-ws'].heapKbPerClient);
    summary[kind] = { heap, rss, ratio: median(ratios) };
    rows.push([
      (kind === 'raw-ws' ? 'raw ws (baseline)' : kind) + (per.some((p) => p.failed) ? ' (a run FAILED)' : ''),
      fmt(heap, 2),
      fmtRatio(median(ratios)),
      fmt(rss, 1),
      String(per[0]?.clients ?? '—'),
      list(per.map((p) => p.heapKbPerClient), 2),
    ]);
  }
  const ll = summary.lifeline;
  const note = ll ? `Goal: ≤ ${goalKb} KB heap per Lifeline client → ${fmt(ll.heap, 2)} KB ${mark(ll.heap <= goalKb)}` : '';
  return { summary, note, ...both(['client', 'heap KB/client (median)', 'heap × raw', 'RSS KB/client', 'clients', 'heap KB/client per run'], rows) };
}

export function roundtripSection(runs, cases) {
  const rows = [];
  const summary = {};
  for (const c of cases) {
    const p50 = median(runs.map((r) => r[c.key].p50));
    const p99 = median(runs.map((r) => r[c.key].p99));
    const r50 = median(runs.map((r) => r[c.key].p50 / r.echo.p50));
    const r99 = median(runs.map((r) => r[c.key].p99 / r.echo.p99));
    summary[c.key] = { p50, p99, r50, r99 };
    rows.push([c.label, fmt(p50 * 1000, 0), fmt(p99 * 1000, 0), fmtRatio(r50), fmtRatio(r99), String(runs[0][c.key].n)]);
  }
  return { summary, note: '', ...both(['case', 'p50 µs', 'p99 µs', 'p50 × echo', 'p99 × echo', 'samples/run'], rows) };
}

export function serverSection(handshakeRuns, fanoutRuns) {
  const hs = {
    rate: median(handshakeRuns.map((h) => h.handshakesPerSec)),
    p50: median(handshakeRuns.map((h) => h.p50Ms)),
    p99: median(handshakeRuns.map((h) => h.p99Ms)),
    failed: handshakeRuns.reduce((s, h) => s + h.failed, 0),
  };
  const rows = [
    ['handshakes accepted (upgrade + hello→welcome)', `${fmt(hs.rate, 0)} /s`, `p50 ${fmt(hs.p50, 1)} ms, p99 ${fmt(hs.p99, 1)} ms`, `${handshakeRuns[0]?.accepted ?? '—'} per run, ${hs.failed} failed`],
  ];
  const fanout = {};
  for (const [subs, runs] of Object.entries(fanoutRuns)) {
    const rate = median(runs.map((r) => r.deliveriesPerSec));
    const complete = runs.every((r) => r.delivered === r.expected && !r.timedOut);
    fanout[subs] = rate;
    rows.push([`fan-out to ${Number(subs).toLocaleString('en-US')} subscribers`, `${fmt(rate, 0)} msg/s delivered`, complete ? 'every message to every subscriber' : 'INCOMPLETE', `${runs[0]?.messages ?? '—'} messages per run`]);
  }
  return { summary: { handshakes: hs, fanout }, note: '', ...both(['measure', 'median', 'detail', 'load'], rows) };
}
