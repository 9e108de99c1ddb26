import type { RunResult } from '../result';

/**
 * JSON report: one run object, or an array of them for `--compare` (`array`: also of one run,
 * a comparison stopped after its first). Each object has
 * the documented top-level fields (scenario, strategy, clients, admissionRate,
 * peakToMean (null with no attempts), peakOverCapacity, peakPerSec, attemptsPerClient, t50Ms, t99Ms, t100Ms,
 * refused, serverAccepted, serverAcceptedPeakPerSec, published, lost, undelivered,
 * duplicated, reordered, gaps) plus the per-bin series.
 */
export function toJson(results: readonly RunResult[], array = results.length !== 1): string {
  return JSON.stringify(array ? results : results[0], null, 2) + '\n';
}
