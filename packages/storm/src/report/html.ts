import type { RunResult } from '../result';
import { attemptsChart, escapeXml, runLabel } from './svgChart';
import { tableRows } from './table';
import { groupNotes } from './notes';
import { verdict } from '../verdict';

/** Options of {@link toHtml}. */
export interface HtmlOptions {
  /**
   * Why a comparison stopped before its end (a `CompareError`'s message), when `results`
   * are only the runs it completed: the report then fails with exit status 1, as the CLI
   * does, instead of judging the completed runs alone ("Pass … exit status 0").
   * @default undefined (the results are the whole run)
   */
  failed?: string | undefined;
  /**
   * The exit status the report states with `failed`: a comparison stopped by SIGINT /
   * SIGTERM exits 130 / 143, not 1.
   * @default 1
   */
  exitStatus?: number | undefined;
}

/** `, @lifeline/storm 0.1.0, started 2026-…Z` from the first run's settings, '' without them. */
function produced(results: readonly RunResult[]): string {
  const s = results[0]?.settings;
  return s ? `, @lifeline/storm ${escapeXml(s.stormVersion)}, started ${escapeXml(s.startedAt)}` : '';
}

/**
 * A self-contained HTML report (no scripts, no external assets): the attempts chart
 * as inline SVG, the summary table, and per-channel delivery totals.
 */
export function toHtml(results: readonly RunResult[], title = 'Lifeline reconnect storm', options: HtmlOptions = {}): string {
  const rows = tableRows(results);
  const head = rows[0]!;
  const table = `<table><thead><tr>${head.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${escapeXml(c)}</th>` : `<td>${escapeXml(c)}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const channels = results
    .map(
      (r) => `<h3>${escapeXml(runLabel(r))}: per channel</h3><table><thead><tr><th>channel</th><th>published</th><th>expected</th><th>delivered</th><th>lost</th><th>duplicated</th><th>reordered</th><th>gaps</th><th>in gaps</th><th>not back</th><th>undelivered</th></tr></thead><tbody>${r.perChannel
        .map((c) => `<tr><th>${escapeXml(c.channel)}</th>${[c.published, c.expected, c.delivered, c.lost, c.duplicated, c.reordered, c.gaps, c.gapped, c.unrecovered, c.undelivered].map((v) => `<td>${v}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`,
    )
    .join('\n');
  const notes = groupNotes(results)
    .map((g) => `${g.run === null ? '' : `<h3>${escapeXml(g.run)}</h3>`}<ul>${g.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`)
    .join('\n');
  // The CLI's pass/fail (and exit status), so a report read on its own says it too.
  const v = verdict(results);
  const verdictLine = options.failed !== undefined
    ? `<p class="verdict fail"><b>Fail</b> (exit status ${options.exitStatus ?? 1}): ${escapeXml(options.failed)}; below, the ${results.length} run(s) completed before it${v.message ? ` (${escapeXml(v.message)})` : ''}.</p>`
    : v.status === 0
    ? '<p class="verdict pass"><b>Pass</b>: every client came back; nothing lost, duplicated or reordered (exit status 0).</p>'
    : `<p class="verdict fail"><b>Fail</b> (exit status ${v.status}): ${escapeXml(v.message ?? '')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:12px 0}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}thead th{background:#f5f5f5}tbody th{text-align:left;font-weight:500}
.verdict.pass{color:#1a7f37}.verdict.fail{color:#c62828}</style>
</head><body>
<h1>${escapeXml(title)}</h1>
<p>Scenario <b>${escapeXml(results[0]?.scenario ?? '')}</b>, ${results[0]?.clients ?? 0} clients, seed ${results[0]?.seed ?? ''}${produced(results)}.</p>
${verdictLine}
${attemptsChart(results)}
<h2>Summary</h2>
${table}
<h2>Delivery</h2>
${channels}
${notes ? `<h2>Notes</h2>\n${notes}` : ''}
</body></html>
`;
}
