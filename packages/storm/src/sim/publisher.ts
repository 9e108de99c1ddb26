import { setMaxListeners } from 'node:events';
import type { PublishedRecord } from '../metrics/delivery';
import type { StormAbortSignal } from './abortSignal';
import { MAX_TIMER_MS } from '../timerLimit';

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
  /** Aborted when stop()'s timeout runs out: abandons the publishes still in flight. */
  private cutoff = new AbortController();
  failures = 0;
  /** Failed publishes answered with an HTTP status, by status (`401`: no or a bad token, `403`: its claims forbid the channel). */
  readonly statuses: Record<string, number> = {};

  constructor(
    private readonly channels: string[],
    private readonly ratePerSec: number,
    private readonly httpUrl: () => string | null,
    private readonly runId: string,
    /** Sent as `Authorization: Bearer <token>` (a server with a secret refuses publishes without one). */
    private readonly token?: string,
  ) {
    this.published = channels.map(() => []);
  }

  /** When publishing started and stopped (Date.now()), null before: the achieved rate's span. */
  startedAt: number | null = null;
  stoppedAt: number | null = null;

  /** How long it published, ms (until now while it still does; 0 before start). */
  publishingMs(): number {
    return this.startedAt === null ? 0 : (this.stoppedAt ?? Date.now()) - this.startedAt;
  }

  start(): void {
    if (this.running || this.ratePerSec <= 0) return;
    this.running = true;
    this.startedAt = Date.now();
    this.stoppedAt = null;
    this.wake = new AbortController();
    this.cutoff = new AbortController();
    // Every channel's loop waits on both signals at once (one listener each): past 10
    // channels Node printed a MaxListenersExceededWarning ("possible memory leak") per run.
    setMaxListeners(this.channels.length + 1, this.wake.signal, this.cutoff.signal);
    this.loops = this.channels.map((_, i) => this.loop(i));
  }

  /**
   * Stops after the in-flight publishes are acknowledged, or after `timeoutMs`: then a
   * publish still in flight is abandoned (its request aborted; it was not acknowledged, so
   * it is not in `published`). A loop waiting for its next publish stops at once.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.running) this.stoppedAt = Date.now();
    this.running = false;
    this.deadline = Date.now() + timeoutMs;
    this.wake.abort();
    // Without it a request to a server that does not answer held stop() for its own 2 s timeout.
    const cut = setTimeout(() => this.cutoff.abort(), Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS));
    await Promise.all(this.loops);
    clearTimeout(cut);
  }

  private deadline = Infinity;

  private async loop(i: number): Promise<void> {
    const interval = 1000 / this.ratePerSec;
    let seq = 0;
    // Channels take turns: one fan-out at a time instead of all of them at once.
    let next = Date.now() + (i * interval) / this.channels.length;
    while (this.running) {
      const wait = next - Date.now();
      if (wait > 0) {
        // Re-checked after each step: at a rate below ~1 per 24.8 days the interval is
        // longer than Node's longest timer, which fired after 1 ms (a publish every 1 ms).
        await sleep(Math.min(wait, MAX_TIMER_MS), this.wake.signal);
        continue;
      }
      if (!this.running) break;
      next += interval;
      seq++;
      await this.publishOne(i, seq);
    }
  }

  private headers(): Record<string, string> {
    return this.token === undefined ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', authorization: `Bearer ${this.token}` };
  }

  private async publishOne(i: number, seq: number): Promise<void> {
    const channel = this.channels[i]!;
    const body = JSON.stringify({ channel, data: { s: seq }, id: `${this.runId}-${channel}-${seq}` });
    while (Date.now() < this.deadline && !this.cutoff.signal.aborted) {
      const base = this.httpUrl();
      if (base) {
        const request = abortAfter(2000, this.cutoff.signal);
        try {
          const res = await fetch(`${base}/v1/publish`, { method: 'POST', headers: this.headers(), body, signal: request.signal });
          if (res.ok) {
            const ack = (await res.json()) as { offset: number; epoch: string };
            this.published[i]!.push({ seq, epoch: ack.epoch, offset: ack.offset });
            return;
          }
          this.statuses[res.status] = (this.statuses[res.status] ?? 0) + 1;
          await res.body?.cancel();
        } catch {
          // server down or restarting: retry with the same id
        } finally {
          request.dispose();
        }
      }
      if (this.cutoff.signal.aborted) return; // abandoned by stop(), not failed
      this.failures++;
      await sleep(50); // not woken by stop(): woken retries against a down server would spin
    }
  }
}

/** A signal that aborts after `ms` or with `outer`, whichever comes first (AbortSignal.any needs Node 20.3). */
function abortAfter(ms: number, outer: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const abort = () => ac.abort();
  const timer = setTimeout(abort, ms);
  if (outer.aborted) ac.abort();
  else outer.addEventListener('abort', abort, { once: true });
  return {
    signal: ac.signal,
    dispose: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', abort);
    },
  };
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: StormAbortSignal) =>
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
