import { getHeapStatistics } from 'node:v8';
import type { StoredMessage } from './types';

/**
 * Bookkeeping counted per retained message on top of its payload: the message object, its
 * offset, epoch reference and timestamp, the log slot and the budget's queue entry.
 */
export const MESSAGE_OVERHEAD_BYTES = 128;

/** The cap on {@link defaultMaxRetainedBytes}. */
const DEFAULT_CAP_BYTES = 256 * 1024 * 1024;

/**
 * The memory broker's `maxRetainedBytes` when none is given: a quarter of this process's
 * heap limit (`--max-old-space-size`), at most 256 MiB. The estimate counts JSON length,
 * and a parsed object takes more heap than its JSON (a string about as much): a quarter
 * leaves room for that, for the sockets' buffers and for everything else the server holds.
 */
export function defaultMaxRetainedBytes(): number {
  return Math.min(DEFAULT_CAP_BYTES, Math.floor(getHeapStatistics().heap_size_limit / 4));
}

/** What the budget sees of a channel: its log and the estimated size of each message in it. */
export interface RetainedLog {
  /** Contiguous retained messages, oldest first. */
  log: StoredMessage[];
  /** `sizes[i]` is the estimate counted for `log[i]`. */
  sizes: number[];
}

/**
 * Estimated bytes a stored message holds: its data's JSON length, its id, user and channel
 * name, and {@link MESSAGE_OVERHEAD_BYTES}. Throws for data JSON cannot carry (a cycle, a
 * BigInt): such a message could not be delivered to anyone either.
 */
export function messageBytes(msg: StoredMessage): number {
  const json = JSON.stringify(msg.data) as string | undefined;
  return (json?.length ?? 0) + (msg.id?.length ?? 0) + (msg.user?.length ?? 0) + msg.channel.length + MESSAGE_OVERHEAD_BYTES;
}

/**
 * The node-wide bound on what the memory broker retains, across channels. Per-channel
 * retention alone let one token grow memory without end by publishing to a new channel
 * each time (60 KB messages: ~63 MB/s, a 512 MB heap gone in 5 s). Past `max`, the oldest
 * retained messages of the whole broker are dropped, whatever their channel: a retention
 * loss the protocol already tells (a later subscriber from before them gets
 * `recovered: false, reason: "out-of-retention"`, PROTOCOL.md §5), never a refused publish.
 */
export class RetainedBudget {
  /** Estimated bytes retained now. */
  bytes = 0;
  /** Messages retained now. */
  count = 0;
  /** Messages dropped by this budget (not by per-channel retention) since the start. */
  trimmed = 0;
  /** Every message added, oldest first; those already gone from their log are skipped when met. */
  private queue: { ch: RetainedLog; msg: StoredMessage }[] = [];
  private head = 0;

  constructor(readonly max: number) {}

  /** Appends `msg` (of `size` bytes) to `ch`'s log. Call {@link trim} after. */
  add(ch: RetainedLog, msg: StoredMessage, size: number): void {
    ch.log.push(msg);
    ch.sizes.push(size);
    this.bytes += size;
    this.count++;
    this.queue.push({ ch, msg });
  }

  /** Drops `ch`'s oldest message (its per-channel retention is full). */
  dropFirst(ch: RetainedLog): void {
    if (ch.log.length === 0) return;
    ch.log.shift();
    this.bytes -= ch.sizes.shift()!;
    this.count--;
  }

  /** Drops all of `ch`'s log (a reset, or the channel forgotten). */
  dropAll(ch: RetainedLog): void {
    for (const size of ch.sizes) this.bytes -= size;
    this.count -= ch.log.length;
    ch.log = [];
    ch.sizes = [];
  }

  /** Drops the oldest retained messages, across channels, until at most `max` bytes are retained. */
  trim(): void {
    while (this.bytes > this.max && this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      // Oldest first everywhere: a message still retained is the first of its log (anything
      // older of that channel came earlier in the queue and is gone).
      if (e.ch.log[0] === e.msg) {
        this.dropFirst(e.ch);
        this.trimmed++;
      }
    }
    this.compact();
  }

  /**
   * Keeps the queue near the retained count: entries of messages their channel's retention
   * (or a reset) dropped stay queued until met, and a broker under its byte bound never
   * meets them (one channel at its retention queued every publish for good).
   */
  private compact(): void {
    const waiting = this.queue.length - this.head;
    if (waiting > 2 * this.count + 1024) {
      this.queue = this.queue.slice(this.head).filter((e) => retained(e.ch, e.msg));
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Whether `msg` is still in `ch`'s log (contiguous offsets: at most one place to look). */
function retained(ch: RetainedLog, msg: StoredMessage): boolean {
  const first = ch.log[0];
  return first !== undefined && ch.log[msg.offset - first.offset] === msg;
}
