import type { AcceptSample } from '../metrics/accepts';

/** How often the run reads the servers' counter, ms: half a bin, well under a 1 s window. */
export const ACCEPT_SAMPLE_MS = 50;

/**
 * Samples the embedded servers' accepted-handshake counter over the wave. The server
 * exposes only the running total (`stats().handshakesAccepted`), not when each
 * handshake was accepted, so the rate comes from how the total grows between samples
 * (metrics/accepts.ts). The sampler shares the servers' thread: the counter cannot move
 * while a sample waits, so a late sample delays the accepts it sees, it does not lose them.
 */
export class AcceptLog {
  private readonly taken: AcceptSample[] = [];
  private t0 = 0;
  private base = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param read the servers' accepted handshakes so far (every node, gone ones included)
   * @param intervalMs how often the counter is read; default `ACCEPT_SAMPLE_MS` (50)
   */
  constructor(
    private readonly read: () => number,
    private readonly intervalMs = ACCEPT_SAMPLE_MS,
  ) {}

  /** Takes the baseline (the count before the wave) and starts sampling. */
  start(now = Date.now()): void {
    this.stop();
    this.taken.length = 0;
    this.t0 = now;
    this.base = this.read();
    this.taken.push({ atMs: 0, total: 0 });
    this.timer = setInterval(() => this.sample(Date.now()), this.intervalMs);
    this.timer.unref();
  }

  /** One sample; exposed for fake-clock tests. */
  sample(now: number): void {
    this.taken.push({ atMs: now - this.t0, total: this.read() - this.base });
  }

  /** Samples so far, ms after `start` and accepted since it. */
  samples(): AcceptSample[] {
    return this.taken.slice();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
