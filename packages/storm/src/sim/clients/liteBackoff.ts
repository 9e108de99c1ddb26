import type { Strategy } from '../../result';

/**
 * Capped exponential backoff for storm's lite client, same strategies as core:
 * `(attempt from 1, previous delay, random) → delay ms`.
 */
export function liteBackoff(strategy: Strategy, initialMs: number, maxMs: number) {
  return (attempt: number, previousMs: number, random: () => number): number => {
    const cap = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
    if (strategy === 'none') return cap;
    if (strategy === 'equal') return cap / 2 + (random() * cap) / 2;
    if (strategy === 'decorrelated') {
      const prev = Math.max(previousMs, initialMs);
      return Math.min(maxMs, initialMs + random() * (prev * 3 - initialMs));
    }
    return random() * cap;
  };
}
