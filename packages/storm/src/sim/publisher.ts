import type { PublishedRecord } from '../metrics/delivery';

/**
 * Publishes `{ s: seq }` on every channel at `ratePerSec` through `POST /v1/publish`,
 * one request at a time per channel so acks arrive in offset order. A failed publish
 * is retried with the same idempotency id until it is acknowledged, so the log
 * holds each message once whatever happens to the servers.
 */
export class Publisher {
  readonly published: PublishedRecord[][];
  private running = false;
  private loops: Promise<void>[] = [];
  /** Aborted by stop(): at 0.1 msg/s a loop sleeps 10 s between publishes. */
  private wake = new AbortController();
  failures = 0;

  constructor(
    private readonly channels: string[],
    private readonly ratePerSec: number,
    private readonly httpUrl: () => string | null,
    private readonly runId: string,
  ) {
    this.published = channels.map(() => []);
  }

  start(): void {
    if (this.running || this.ratePerSec <= 0) return;
    this.running = true;
    this.wake = new AbortController();
    this.loops = this.channels.map((_, i) => this.loop(i));
  }

  /** Stops after the in-flight publishes are acknowledged (or `timeoutMs`); a loop waiting for its next publish stops at once. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running = false;
    this.deadline = Date.now() + timeoutMs;
    this.wake.abort();
    await Promise.all(this.loops);
  }

  private deadline = Infinity;

  private async loop(i: number): Promise<void> {
    const interval = 1000 / this.ratePerSec;
    let seq = 0;
    // Channels take turns: one fan-out at a time instead of all of them at once.
    let next = Date.now() + (i * interval) / this.channels.length;
    while (this.running) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait, this.wake.signal);
      if (!this.running) break;
      next += interval;
      seq++;
      await this.publishOne(i, seq);
    }
  }

  private async publishOne(i: number, seq: number): Promise<void> {
    const channel = this.channels[i]!;
    const body = JSON.stringify({ channel, data: { s: seq }, id: `${this.runId}-${channel}-${seq}` });
    while (Date.now() < this.deadline) {
      const base = this.httpUrl();
      if (base) {
        try {
          const res = await fetch(`${base}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(2000) });
          if (res.ok) {
            const ack = (await res.json()) as { offset: number; epoch: string };
            this.published[i]!.push({ seq, epoch: ack.epoch, offset: ack.offset });
            return;
          }
          await res.body?.cancel();
        } catch {
          // server down or restarting: retry with the same id
        }
      }
      this.failures++;
      await sleep(50); // not woken by stop(): woken retries against a down server would spin
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
