import { withDefaults } from './checkOptions';
import type { JitterStrategy, ReconnectOptions } from './types';

/** Defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 'full' as JitterStrategy,
  maxAttempts: Infinity,
  ignoreOffline: false,
};

/** `(attempt, previousDelayMs, random) => delayMs`; attempt counts from 1. */
export type BackoffFn = (attempt: number, previousDelayMs: number, random: () => number) => number;

/**
 * Builds the pure backoff function for `options`.
 * - `full` (default): uniform in [0, cap) where cap = min(max, initial × factor^(attempt−1))
 * - `equal`: cap/2 + uniform in [0, cap/2)
 * - `decorrelated`: min(max, initial + uniform in [0, 3 × max(previous, initial) − initial))
 * - `none`: exactly cap
 *
 * Options are checked as `createClient` checks `reconnect` (an option given as `undefined`
 * takes its default; a NaN, negative or unknown value throws `BAD_ARGUMENT`): a spread
 * let `initialDelayMs: undefined` through as NaN delays, a retry loop with no wait.
 */
export function createBackoff(options?: ReconnectOptions): BackoffFn {
  const o = withDefaults(DEFAULT_RECONNECT, options);
  return (attempt, previousDelayMs, random) => backoffDelay(o, attempt, previousDelayMs, random);
}

/** The backoff rule itself, for complete options (what the client calls: no closure per client). */
export function backoffDelay(o: typeof DEFAULT_RECONNECT, attempt: number, previousDelayMs: number, random: () => number): number {
  const { initialDelayMs: first, maxDelayMs: max, jitter } = o;
  const cap = Math.min(max, first * o.factor ** Math.max(0, attempt - 1));
  if (jitter == 'none') return cap;
  if (jitter == 'equal') return cap / 2 + (random() * cap) / 2;
  if (jitter == 'decorrelated') return Math.min(max, first + random() * (Math.max(previousDelayMs, first) * 3 - first));
  return random() * cap;
}
