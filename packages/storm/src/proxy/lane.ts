import type { Socket } from 'node:net';
import { MAX_TIMER_MS } from '../timerLimit';

/** Shaping applied to one direction of one link; read live on every chunk. */
export interface LaneShape {
  /** One-way delay added to every chunk, ms. */
  latencyMs: number;
  /** Bytes per second for this direction, or null for unlimited. */
  bytesPerSec: number | null;
}

/**
 * One direction of a proxied connection: reads from `from`, writes to `to`, adding
 * latency and a bandwidth cap. A blackholed lane discards everything and never
 * closes `to`, which is exactly what a half-open connection looks like to both peers.
 */
export class Lane {
  private queue: { at: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the last slice sent finished crossing the wire, ms (performance.now()): the next one's transmission starts then at the earliest. */
  private nextFree = 0;
  private black = false;
  /** `from` has ended (FIN): pass the FIN on to `to` once the queue has drained. */
  private ending = false;
  bytes = 0;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly shape: () => LaneShape,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  /** Stops forwarding for good (the link is half-open from now on). */
  blackhole(): void {
    this.black = true;
    this.queue = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.from.resume();
  }

  get blackholed(): boolean {
    return this.black;
  }

  /**
   * The sender finished (a clean half-close). Its last bytes may still be waiting out
   * the latency or bandwidth queue, so `to` is ended only once they are written:
   * a refusal, a drain frame or a close reason sent just before a FIN must arrive.
   */
  end(): void {
    if (this.black || this.ending) return;
    this.ending = true;
    this.endIfFlushed();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }

  /**
   * The shape changed (a new bandwidth cap, or none): bytes already queued go out at the
   * new rate from now on. The pace used to be fixed when a chunk arrived, so bytes queued
   * under 300 B/s kept trickling at 300 B/s after the cap was lifted. Order is kept: the
   * queue is still sent front to back.
   */
  reshape(): void {
    if (this.black) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  private push(chunk: Buffer): void {
    if (this.black) return;
    const { latencyMs, bytesPerSec } = this.shape();
    if (latencyMs <= 0 && bytesPerSec === null && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    // Only the latency is fixed now; the bandwidth paces the queue as it is sent (flush),
    // at the cap in force then.
    this.queue.push({ at: performance.now() + Math.max(0, latencyMs), chunk });
    this.schedule();
  }

  /**
   * When the head of the queue is due, ms (performance.now()), and how many of its bytes:
   * under a cap, a slice of 1/20 s of the rate in force, due once it has crossed the wire
   * (from its arrival, or from the end of the slice before), so a big chunk trickles out
   * at the cap instead of arriving in one late lump.
   */
  private due(): { at: number; bytes: number } | null {
    const head = this.queue[0];
    if (!head) return null;
    const { bytesPerSec } = this.shape();
    if (bytesPerSec === null) return { at: head.at, bytes: head.chunk.length };
    const bytes = Math.min(head.chunk.length, Math.max(1, Math.floor(bytesPerSec / 20)));
    return { at: Math.max(head.at, this.nextFree) + (bytes / bytesPerSec) * 1000, bytes };
  }

  private schedule(): void {
    if (this.timer) return;
    const next = this.due();
    if (!next) return;
    // A tiny bandwidth cap can put the next slice beyond Node's longest timer, which would
    // fire after 1 ms and re-arm every 1 ms until then; capped, flush() finds nothing due
    // and re-arms for the rest.
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, next.at - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = performance.now();
    for (let next = this.due(); next && next.at <= now + 0.5; next = this.due()) {
      const head = this.queue[0]!;
      const part = head.chunk.subarray(0, next.bytes);
      if (part.length === head.chunk.length) this.queue.shift();
      else head.chunk = head.chunk.subarray(next.bytes);
      this.nextFree = next.at;
      this.write(part);
    }
    this.schedule();
    this.endIfFlushed();
  }

  private endIfFlushed(): void {
    if (!this.ending || this.black || this.queue.length > 0) return;
    // Buffered writes go out before the FIN, also under backpressure.
    if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
  }

  private write(chunk: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    this.bytes += chunk.length;
    // Propagate TCP backpressure instead of buffering without bound.
    if (!this.to.write(chunk)) {
      this.from.pause();
      this.to.once('drain', () => {
        if (!this.black) this.from.resume();
      });
    }
  }
}
