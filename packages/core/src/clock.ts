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

/**
 * One timer slot (`_timer`) on `_clock`, for the client, its publisher, channels and
 * presence: one copy of the arm/cancel code in the bundle instead of four.
 */
export interface Timed {
  readonly _clock: Clock;
}
export class Timed {
  _timer?: unknown;

  _cancel(): void {
    if (this._timer != null) this._clock.clearTimeout(this._timer);
    this._timer = null;
  }

  /** (Re)arms the timer; it forgets its handle before running `fn`. */
  _after(ms: number, fn: () => void): void {
    this._cancel();
    this._timer = this._clock.setTimeout(() => {
      this._timer = null;
      fn();
    }, ms);
  }
}

/** A server's retry-after hint as a delay: a malformed one (NaN, '5', -1) waits 1 s, neither at once nor never. */
export const hintDelay = (ms: unknown): number => (Number.isFinite(ms) && (ms as number) >= 0 ? (ms as number) : 1000);
