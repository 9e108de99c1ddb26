import type { Clock } from './types';

/** A deterministic clock for tests. Nothing runs until you move time. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer due on the way at its own due time. */
  advance(ms: number): void;
  /**
   * Moves `now()` forward by `ms` at once, then fires the overdue timers late — what a
   * laptop waking from sleep or a throttled background tab looks like.
   */
  jump(ms: number): void;
  /** Fires every timer due at the current time (after `jump` or a 0 ms timeout). */
  runDue(): void;
  /** Number of timers scheduled and not yet fired or cleared. */
  pending(): number;
}

interface Timer {
  at: number;
  seq: number;
  cb: () => void;
}

/**
 * Creates a {@link ManualClock} starting at `start` ms. Inject it as `clock` into
 * `createClient` (and the React/Node/storm helpers) to test timing without sleeps:
 * `clock.advance(30_000)` runs the heartbeat, backoff and TTL timers in order.
 */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, Timer>();

  const next = (limit: number): Timer | undefined => {
    let best: Timer | undefined;
    for (const t of timers.values()) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  };
  const fire = (t: Timer) => {
    timers.delete(t.seq);
    t.cb();
  };

  const clock: ManualClock = {
    now: () => now,
    setTimeout(cb, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms || 0), seq: id, cb });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      const end = now + ms;
      for (let t = next(end); t; t = next(end)) {
        if (t.at > now) now = t.at;
        fire(t);
      }
      now = end;
    },
    jump(ms) {
      now += ms;
      clock.runDue();
    },
    runDue() {
      for (let t = next(now); t; t = next(now)) fire(t);
    },
    pending: () => timers.size,
  };
  return clock;
}
