import type { Clock } from '@lifeline/core';

export type { Clock };

/** Node caps timers at 2^31-1 ms; longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real clock: core's, which reads the globals at call time (test fakes installed
 * later still apply) and caps delays at {@link MAX_TIMER_MS} (~24.8 days). Node runs a
 * longer one (an option set to `Infinity` to mean "never") after 1 ms, so
 * `handshakeTimeoutMs: Infinity` closed every connection with 4200 before its hello.
 */
export { systemClock } from '@lifeline/core';
