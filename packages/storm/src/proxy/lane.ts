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
 * Queued bytes a lane holds before it stops reading from its sender, by default: 1 MiB,
 * about what a real link holds in flight (socket buffers, a bandwidth-delay product).
 */
export const DEFAULT_QUEUE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * One direction of a proxied connection: reads from `from`, writes to `to`, adding
 * latency and a bandwidth cap. A blackholed lane discards everything and never
 * closes `to`, which is exactly what a half-open connection looks like to both peers.
 *
 * Backpressure travels as on a real slow link: once more than `highWaterMark` bytes wait
 * in the latency / bandwidth queue, or `to` is backpressured, the lane stops reading
 * `from` (its sender's writes then back up: `write()` returns false), and reads again
 * once the queue is down to half the mark and `to` has drained. Without this a capped
 * lane read as fast as the sender wrote: 100 MB held in the proxy behind a 10 kB/s cap,
 * and the server never saw a slow reader.
 */
export class Lane {
  private queue: { at: number; chunk: Buffer }[] = [];
  private queued = 0;
  /** `from` is paused by this lane (queue over the mark, or `to` backpressured). */
  private holding = false;
  /** `to.write()` returned false: nothing more is written until its 'drain'. */
  private blocked = false;
  private readonly onDrain = () => {
    this.blocked = false;
    if (this.black) return;
    // The wait was not time on the wire: the cap resumes from now, rather than sending
    // the slices "due" meanwhile in one burst.
    this.nextFree = Math.max(this.nextFree, performance.now());
    this.flush();
  };
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
    private readonly highWaterMark = DEFAULT_QUEUE_HIGH_WATER_MARK,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  /** Bytes read from `from` and not yet handed to `to` (waiting out latency, the cap, or `to`'s drain). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Whether the lane has stopped reading `from` (backpressure towards the sender). */
  get holdingSender(): boolean {
    return this.holding;
  }

  /** Stops forwarding for good (the link is half-open from now on). */
  blackhole(): void {
    this.black = true;
    this.clear();
    this.holding = false;
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
    this.clear();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.queued = 0;
    // `blocked` is exactly while the once-listener is on `to`.
    if (this.blocked) this.to.off('drain', this.onDrain);
    this.blocked = false;
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
    if (latencyMs <= 0 && bytesPerSec === null && this.queue.length === 0 && !this.blocked) {
      this.write(chunk);
      this.regulate();
      return;
    }
    // Only the latency is fixed now; the bandwidth paces the queue as it is sent (flush),
    // at the cap in force then.
    this.queue.push({ at: performance.now() + Math.max(0, latencyMs), chunk });
    this.queued += chunk.length;
    this.regulate();
    this.schedule();
  }

  /**
   * Pauses or resumes `from`. Resuming at half the mark, not just under it, keeps a lane
   * at its cap from pausing and resuming its sender on every slice.
   */
  private regulate(): void {
    if (this.black) return;
    const limit = this.holding ? this.highWaterMark / 2 : this.highWaterMark;
    const hold = this.blocked || this.queued > limit;
    if (hold === this.holding) return;
    this.holding = hold;
    if (hold) this.from.pause();
    else this.from.resume();
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
    // 'drain' calls flush(), which schedules the rest.
    if (this.timer || this.blocked) return;
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
    // Writing on while `to` is backpressured would only move the queue into its buffer.
    for (let next = this.due(); next && !this.blocked && next.at <= now + 0.5; next = this.due()) {
      const head = this.queue[0]!;
      const part = head.chunk.subarray(0, next.bytes);
      if (part.length === head.chunk.length) this.queue.shift();
      else head.chunk = head.chunk.subarray(next.bytes);
      this.queued -= part.length;
      this.nextFree = next.at;
      this.write(part);
    }
    this.regulate();
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
    // One 'drain' listener per backpressured spell: one per write logged
    // MaxListenersExceededWarning when a capped lane kept writing to a slow reader.
    if (!this.to.write(chunk) && !this.blocked) {
      this.blocked = true;
      this.to.once('drain', this.onDrain);
    }
  }
}
