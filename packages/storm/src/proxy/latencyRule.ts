import { MAX_TIMER_MS, MAX_TIMER_TEXT } from '../timerLimit';

/**
 * The one rule for a one-way latency (options, setter, schedule step, CLI): a number of
 * ms from 0 to the longest timer Node holds. Returns what is wrong, or null. NaN would
 * forward nothing; above the limit each chunk's timer fired after 1 ms, so a latency of
 * a month was no latency at all.
 */
export function latencyProblem(ms: unknown): string | null {
  if (typeof ms === 'number' && ms >= 0 && ms <= MAX_TIMER_MS) return null;
  return typeof ms === 'number' && ms > MAX_TIMER_MS
    ? `latency must be at most ${MAX_TIMER_TEXT}, got ${ms}`
    : `latency must be ≥ 0 ms, got ${String(ms)}`;
}
