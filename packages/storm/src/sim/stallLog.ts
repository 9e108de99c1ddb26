/**
 * One event-loop stall (absolute ms): `atMs` is when the late sample was due, so the
 * stall began at most one sampling interval before it; it ended at `atMs + ms`.
 */
export interface Stall {
  atMs: number;
  ms: number;
}

/**
 * Records when a process's event loop stalled, not only how much (the loop-delay
 * histogram says how much). A client process that stalls fires the retry timers due
 * meanwhile together, so a stall just before a bin is the first suspect for a spike in
 * the attempts series; the run report relates the two (metrics/stalls.ts).
 */
export class StallLog {
  private stalls: Stall[] = [];
  private expected = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param intervalMs how often the loop is sampled (a due sample that runs late by
   *   `thresholdMs` or more is a stall); default 20
   * @param thresholdMs shortest stall recorded; default 50
   */
  constructor(
    private readonly intervalMs = 20,
    private readonly thresholdMs = 50,
  ) {}

  start(now = Date.now()): void {
    this.stop();
    this.expected = now + this.intervalMs;
    this.timer = setInterval(() => this.sample(Date.now()), this.intervalMs);
    this.timer.unref();
  }

  /** One sample, due at the time the previous one planned; exposed for fake-clock tests. */
  sample(now: number): void {
    const late = now - this.expected;
    if (late >= this.thresholdMs) this.stalls.push({ atMs: this.expected, ms: late });
    this.expected = now + this.intervalMs;
  }

  /** Forgets the stalls so far (the fault starts a new record). */
  reset(): void {
    this.stalls = [];
  }

  recorded(): Stall[] {
    return this.stalls.slice();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
