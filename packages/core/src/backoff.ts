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
 * - `decorrelated`: min(max, initial + uniform in [0, 3 × previous − initial))
 * - `none`: exactly cap
 */
export function createBackoff(options: ReconnectOptions = {}): BackoffFn {
  const o = { ...DEFAULT_RECONNECT, ...options };
  return (attempt, previousDelayMs, random) => {
    const cap = Math.min(o.maxDelayMs, o.initialDelayMs * o.factor ** Math.max(0, attempt - 1));
    switch (o.jitter) {
      case 'none':
        return cap;
      case 'equal':
        return cap / 2 + (random() * cap) / 2;
      case 'decorrelated': {
        const prev = Math.max(previousDelayMs, o.initialDelayMs);
        return Math.min(o.maxDelayMs, o.initialDelayMs + random() * (prev * 3 - o.initialDelayMs));
      }
      default:
        return random() * cap;
    }
  };
}
