import type { Clock } from '@lifeline/core';

export type { Clock };

/** The real clock. Wraps the globals lazily so test fakes installed later still apply. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Node caps timers at 2^31-1 ms; longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
