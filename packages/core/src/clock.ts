import type { Clock } from './types';

/**
 * The default clock. Each call reads the global at call time (not at import), so
 * fake timers installed after import still work and importing stays side-effect free.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  // Hosts run any delay of 2^31 ms or more (or NaN) after ~1 ms: a server's Retry-After
  // of 30 days became a reconnect loop. Capped at the largest delay they keep (~24.8 days).
  setTimeout: (cb, ms) => setTimeout(cb, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
