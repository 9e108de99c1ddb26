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
  /** When the bandwidth budget allows the next byte, ms (performance.now()). */
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

  private push(chunk: Buffer): void {
    if (this.black) return;
    const { latencyMs, bytesPerSec } = this.shape();
    if (latencyMs <= 0 && bytesPerSec === null && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    const now = performance.now();
    const at = now + Math.max(0, latencyMs);
    if (bytesPerSec === null || bytesPerSec <= 0) {
      this.queue.push({ at, chunk });
    } else {
      // Slices of 1/20 s each, serialised on the wire, so a big chunk trickles out
      // at the cap instead of arriving in one late lump.
      const slice = Math.max(1, Math.floor(bytesPerSec / 20));
      for (let i = 0; i < chunk.length; i += slice) {
        const part = chunk.subarray(i, i + slice);
        this.nextFree = Math.max(now, this.nextFree) + (part.length / bytesPerSec) * 1000;
        this.queue.push({ at: Math.max(at, this.nextFree), chunk: part });
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    // A tiny bandwidth cap can put the next slice beyond Node's longest timer, which would
    // fire after 1 ms and re-arm every 1 ms until then; capped, flush() finds nothing due
    // and re-arms for the rest.
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, this.queue[0]!.at - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5) {
      this.write(this.queue.shift()!.chunk);
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
