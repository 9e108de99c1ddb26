import { getHeapStatistics } from 'node:v8';
import { REPLAY_PAGE_BYTES } from './replay';

/** The cap on {@link defaultMaxReplayBytes}. */
const DEFAULT_CAP_BYTES = 256 * 1024 * 1024;

/**
 * `maxReplayBytes` when none is given: an eighth of this process's heap limit
 * (`--max-old-space-size`), at most 256 MiB. The memory broker's retained messages take up
 * to a quarter by default; an eighth more for replays in progress leaves the rest for
 * sockets, sessions and everything else.
 */
export function defaultMaxReplayBytes(): number {
  return Math.min(DEFAULT_CAP_BYTES, Math.floor(getHeapStatistics().heap_size_limit / 8));
}

/** A page read waited for the budget, and its connection closed meanwhile: nothing is read for it. */
export class ReplayClosedError extends Error {
  constructor() {
    super('connection closed while its replay waited for the replay byte budget');
    this.name = 'ReplayClosedError';
  }
}

interface Waiter {
  bytes: number;
  /** Charged: called in the same turn as the budget's, so a close right after it gives the bytes back. */
  onAdmit: () => void;
  go: () => void;
  /** Set when its connection closed while it waited: skipped, never admitted. */
  gone: boolean;
}

/**
 * The node-wide bound on bytes of replay pages held in memory: read from the broker and not
 * yet handed to the kernel (not yet written, or queued on the socket). Per connection a
 * replay holds about one page and its paced queue (~2 MiB), but nothing bounded the sum:
 * 10,000 connections that subscribe with an old `since` and never read held ~20 GB.
 *
 * Before each page read a connection reserves {@link REPLAY_PAGE_BYTES}; past `max` it
 * waits, first come first served, until bytes are released (a client reading, or a
 * connection closing). A page is admitted whatever its size when nothing at all is held, so
 * a budget smaller than one page never deadlocks. Waiting costs a promise, no timer and no
 * polling: a release admits whoever now fits.
 */
export class ReplayBudget {
  /** Bytes charged now, all connections together (pages, their queued frames, reservations). */
  held = 0;
  private queue: Waiter[] = [];
  private head = 0;

  /** @param max bytes held before page reads wait; `Infinity`: no bound. */
  constructor(readonly max: number) {}

  /** Page reads waiting for room now. */
  waiting = 0;

  /** A fresh account for one connection. */
  account(): ReplayAccount {
    return new ReplayAccount(this);
  }

  /**
   * @internal Charges `bytes` once they fit (at once when nobody waits ahead and they do),
   * calling `onAdmit` as it does; `cancel` drops a wait not admitted yet.
   */
  admit(bytes: number, onAdmit: () => void): { ready: Promise<void>; cancel: () => void } {
    if (this.head === this.queue.length && this.fits(bytes)) {
      this.held += bytes;
      onAdmit();
      return { ready: Promise.resolve(), cancel: () => undefined };
    }
    let go!: () => void;
    const ready = new Promise<void>((resolve) => (go = resolve));
    const waiter: Waiter = { bytes, onAdmit, go, gone: false };
    this.queue.push(waiter);
    this.waiting++;
    return {
      ready,
      cancel: () => {
        if (waiter.gone) return;
        waiter.gone = true;
        this.waiting--;
        // Connections that come and go while the line is stuck would otherwise leave their
        // places in it for good.
        if (this.queue.length - this.head > 2 * this.waiting + 1024) {
          this.queue = this.queue.slice(this.head).filter((w) => !w.gone);
          this.head = 0;
        }
        // The first in line leaving may let the next one in.
        this.pump();
      },
    };
  }

  /** @internal Gives back `bytes` charged earlier, and admits whoever now fits. */
  release(bytes: number): void {
    if (bytes <= 0) return;
    this.held = Math.max(0, this.held - bytes);
    this.pump();
  }

  /** @internal Charges `bytes` more at once (a page larger than its reservation). */
  charge(bytes: number): void {
    if (bytes > 0) this.held += bytes;
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.max;
  }

  /** Admits waiters in arrival order while the first one fits (a larger one is never overtaken). */
  private pump(): void {
    while (this.head < this.queue.length) {
      const w = this.queue[this.head]!;
      if (w.gone) {
        this.head++;
        continue;
      }
      if (!this.fits(w.bytes)) break;
      this.head++;
      w.gone = true;
      this.waiting--;
      this.held += w.bytes;
      w.onAdmit();
      w.go();
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * What one connection holds of the {@link ReplayBudget}. Its replays take turns a page at a
 * time (Session.replayTurn), so it has at most one reservation outstanding. Closed with its
 * connection: everything it held is released, a wait in progress rejects with
 * {@link ReplayClosedError}, and later releases (socket write callbacks) do nothing.
 */
export class ReplayAccount {
  /** Bytes this connection holds now, reservation included. */
  held = 0;
  private reserved = 0;
  private closed = false;
  private cancelWait: (() => void) | undefined;
  private rejectWait: ((err: Error) => void) | undefined;

  constructor(private readonly budget: ReplayBudget) {}

  /**
   * Before a page read: reserves a page's worth of the budget, waiting for room. Nothing to
   * do when a reservation is still outstanding (a plan reading again from another offset).
   */
  async beforeRead(bytes: number = REPLAY_PAGE_BYTES): Promise<void> {
    if (this.closed) throw new ReplayClosedError();
    if (this.reserved > 0) return;
    const { ready, cancel } = this.budget.admit(bytes, () => {
      this.reserved = bytes;
      this.held += bytes;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.cancelWait = cancel;
        this.rejectWait = reject;
        void ready.then(resolve);
      });
    } finally {
      this.cancelWait = undefined;
      this.rejectWait = undefined;
    }
    // Admitted, then closed before this ran on: close() gave the reservation back already.
    if (this.closed) throw new ReplayClosedError();
  }

  /** The page read is serialized into `bytes`: they replace the reservation (more or less than it). */
  settle(bytes: number): void {
    if (this.closed) return;
    const diff = bytes - this.reserved;
    this.held += diff;
    this.reserved = 0;
    if (diff > 0) this.budget.charge(diff);
    else this.budget.release(-diff);
  }

  /** A reservation no page came of (no read, or a failed one) is given back. */
  unreserve(): void {
    if (this.closed || this.reserved === 0) return;
    const bytes = this.reserved;
    this.reserved = 0;
    this.held -= bytes;
    this.budget.release(bytes);
  }

  /** `bytes` of a settled page left this connection's hands: handed to the kernel, or never sent. */
  release(bytes: number): void {
    if (this.closed) return;
    // Never more than the settled part: the reservation is the next page's.
    const n = Math.min(bytes, this.held - this.reserved);
    if (n <= 0) return;
    this.held -= n;
    this.budget.release(n);
  }

  /** The connection closed: all it holds goes back, and a page read waiting for room is not made. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const held = this.held;
    this.held = 0;
    this.reserved = 0;
    this.cancelWait?.();
    this.rejectWait?.(new ReplayClosedError());
    this.budget.release(held);
  }
}

const budgets = new WeakMap<object, ReplayBudget>();

/** The budget of one server node, keyed by an object that lives as long as the node (its context). */
export function replayBudgetOf(node: { opts: { maxReplayBytes: number } }): ReplayBudget {
  let budget = budgets.get(node);
  if (!budget) budgets.set(node, (budget = new ReplayBudget(node.opts.maxReplayBytes)));
  return budget;
}
