import { LifelineNodeError } from './errors';

/** Options of {@link WatermarkQueue}. */
export interface WatermarkOptions {
  /** At this many buffered items (>= 1) the producer is told to stop. */
  highWaterMark: number;
  /** At or below this many (0 … highWaterMark − 1) the producer is told to go again. */
  lowWaterMark: number;
  /** Called on every push that leaves the queue at or above the high-water mark. */
  onHigh: () => void;
  /** Called once when a shift brings a high queue down to the low-water mark. */
  onLow: () => void;
}

/**
 * FIFO between a push-based producer (the socket) and a pull-based consumer (an
 * async iterator), polled with `shift`. It never refuses an item, because refusing
 * would lose it: the bound comes from the producer obeying `onHigh` (pausing the TCP socket), which
 * leaves at most what was already read from the socket to arrive after it.
 */
export class WatermarkQueue<T> {
  private items: T[] = [];
  private head = 0;
  private high = false;
  /** Largest length ever reached (for tests and diagnostics). */
  peak = 0;

  /** @throws LifelineNodeError `BAD_OPTION` when the marks are out of range. */
  constructor(private readonly options: WatermarkOptions) {
    if (!(options.highWaterMark >= 1) || !(options.lowWaterMark >= 0) || options.lowWaterMark >= options.highWaterMark) {
      throw new LifelineNodeError(
        'BAD_OPTION',
        `need highWaterMark >= 1 and 0 <= lowWaterMark < highWaterMark (got ${options.highWaterMark}/${options.lowWaterMark})`,
      );
    }
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get isHigh(): boolean {
    return this.high;
  }

  push(item: T): void {
    this.items.push(item);
    const length = this.length;
    if (length > this.peak) this.peak = length;
    if (length >= this.options.highWaterMark) {
      this.high = true;
      this.options.onHigh();
    }
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    return this.length > 0 ? this.take() : undefined;
  }

  /** Removes and returns every buffered item (oldest first). */
  drainAll(): T[] {
    const rest = this.items.slice(this.head);
    this.clear();
    return rest;
  }

  /** Drops buffered items. */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.releaseIfLow();
  }

  private take(): T {
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.releaseIfLow();
    return item;
  }

  private releaseIfLow(): void {
    if (this.high && this.length <= this.options.lowWaterMark) {
      this.high = false;
      this.options.onLow();
    }
  }
}
