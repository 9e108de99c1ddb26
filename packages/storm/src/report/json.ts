import type { RunResult } from '../result';

/**
 * JSON report: one run object, or an array of them for `--compare`. Each object has
 * the documented top-level fields (scenario, strategy, clients, admissionRate,
 * peakToMean, peakOverCapacity, peakPerSec, attemptsPerClient, t50Ms, t99Ms, t100Ms,
 * refused, serverAccepted, serverAcceptedPeakPerSec, published, lost, undelivered,
 * duplicated, reordered, gaps) plus the per-bin series.
 */
export function toJson(results: readonly RunResult[]): string {
  return JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n';
}
