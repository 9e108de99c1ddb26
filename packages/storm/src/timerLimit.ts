/**
 * The longest delay a Node timer holds: 2^31−1 ms (about 24.8 days). A longer one (or
 * Infinity) fires after 1 ms with only a warning, so a "very long" latency, schedule
 * step or backoff ran at once. Delays that come from options are refused above it;
 * waits the harness computes itself are re-armed in steps of at most this long.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How an option's error says the limit. */
export const MAX_TIMER_TEXT = `${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node can hold)`;
