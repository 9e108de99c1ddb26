import type { RunResult } from './result';
import { variantLabel } from './sim/compare';

/** What a storm run's results mean: the CLI's exit status and the HTML report's pass/fail line. */
export interface Verdict {
  /**
   * 0 ok; 1 nothing was published (no delivery was checked); 2 a subscriber lost,
   * duplicated or reordered a message; 3 not every client came back.
   */
  status: 0 | 1 | 2 | 3;
  /** The line for stderr; null when ok. */
  message: string | null;
}

/**
 * A run with no acknowledged publish (status 1) checked nothing, so it fails first:
 * "published 0, lost 0" used to pass. Then a broken delivery invariant (status 2) wins
 * over clients not back (status 3). The two used to share status 2 because a client not
 * back had its missed messages counted as lost; they are `undelivered` now, and a fleet
 * that did not recover is still a failure.
 */
export function verdict(results: readonly RunResult[]): Verdict {
  // A comparison may run one strategy twice (full:hint,full:nohint): name the variant.
  const label = (r: RunResult) => (results.length > 1 ? variantLabel(r) : r.strategy);
  const silent = results.filter((r) => r.published === 0);
  if (silent.length) {
    return { status: 1, message: `nothing was published, so no delivery was checked: ${silent.map(label).join(', ')}: 0 publishes acknowledged (see the notes for publish failures)` };
  }
  const broken = results.filter((r) => r.lost + r.duplicated + r.reordered > 0);
  if (broken.length) {
    return { status: 2, message: `invariant broken: ${broken.map((r) => `${label(r)}: ${r.lost} lost, ${r.duplicated} duplicated, ${r.reordered} reordered`).join('; ')}` };
  }
  const stranded = results.filter((r) => r.notBack > 0);
  if (stranded.length) {
    return { status: 3, message: `not every client came back: ${stranded.map((r) => `${label(r)}: ${r.notBack} not back (${r.undelivered} messages undelivered to them)`).join('; ')}` };
  }
  return { status: 0, message: null };
}
