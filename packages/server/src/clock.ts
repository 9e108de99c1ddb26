import type { Clock } from '@lifeline/core';

export type { Clock };

/** Node caps timers at 2^31-1 ms; longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real clock. Wraps the globals lazily so test fakes installed later still apply.
 * Delays are capped at {@link MAX_TIMER_MS} (~24.8 days): Node runs a longer one (an
 * option set to `Infinity` to mean "never") after 1 ms, so `handshakeTimeoutMs: Infinity`
 * closed every connection with 4200 before its hello could arrive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => setTimeout(cb, Math.min(ms, MAX_TIMER_MS)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
