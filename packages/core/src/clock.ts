import type { Clock } from './types';

/**
 * The default clock. Each call reads the global at call time (not at import), so
 * fake timers installed after import still work and importing stays side-effect free.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
