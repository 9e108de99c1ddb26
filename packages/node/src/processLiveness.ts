import { systemClock, type Clock } from '@lifeline/core';

/**
 * Wraps a clock so every timer it creates is unref'd: reconnect backoff, heartbeat
 * and retry timers alone never keep the process alive (a closed client lets the
 * process exit). Liveness while work is wanted is {@link ProcessKeepAlive}'s job.
 */
export function unrefClock(
  // Core's clock, not a plain setTimeout: it caps delays at 2^31 - 1 ms, which Node runs
  // after ~1 ms (a server's 30-day Retry-After became a reconnect loop).
  base: Clock = systemClock,
): Clock {
  return {
    now: () => base.now(),
    setTimeout(cb, ms) {
      const handle = base.setTimeout(cb, ms);
      (handle as { unref?: () => void } | null)?.unref?.();
      return handle;
    },
    clearTimeout: (handle) => base.clearTimeout(handle),
  };
}

/**
 * One ref'd handle held while the client has work in progress: an iteration or
 * `consume()` running, a publish not yet settled, a drain under way. The process
 * then stays up across reconnect backoffs when no socket exists. Released when the
 * last holder ends, or all at once on close.
 */
export class ProcessKeepAlive {
  private holders = 0;
  private handle: ReturnType<typeof setInterval> | null = null;
  /**
   * Bumped by releaseAll(): a release handed out before it is then a no-op. Without
   * it, a publish settling after close() drove the count below zero, and the next
   * holder's release never reached zero (the handle stayed, the process never exited).
   */
  private generation = 0;

  constructor(private readonly enabled = true) {}

  /** Number of holders currently keeping the process alive. */
  get count(): number {
    return this.holders;
  }

  /** True while the ref'd handle exists. */
  get active(): boolean {
    return this.handle !== null;
  }

  /** Marks one piece of work as running; returns its (idempotent) release. */
  acquire(): () => void {
    this.holders += 1;
    if (this.enabled && this.handle === null) {
      // The longest interval Node allows; it never fires in practice, it only holds a ref.
      this.handle = setInterval(() => {}, 2_147_483_647);
    }
    const generation = this.generation;
    let released = false;
    return () => {
      if (released || generation !== this.generation) return;
      released = true;
      this.holders -= 1;
      if (this.holders === 0) this.releaseAll();
    };
  }

  /** Drops every holder at once (close, end of a drain); their releases become no-ops. */
  releaseAll(): void {
    this.generation += 1;
    this.holders = 0;
    if (this.handle !== null) clearInterval(this.handle);
    this.handle = null;
  }
}
