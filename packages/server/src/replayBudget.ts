import { getHeapStatistics } from 'node:v8';
import type { Clock } from './clock';
import type { Logger } from './options';
import { ReplayEvictionLines } from './opsLog';
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
  /** When it started waiting (stall clock ms). */
  since: number;
}

/** `replayStallMs` when none is given. */
export const DEFAULT_REPLAY_STALL_MS = 10_000;

/** How a {@link ReplayBudget} frees itself of connections that hold it full without reading (`replayStallMs`). */
export interface ReplayStallOptions {
  clock: Clock;
  /**
   * How long the first page read in line waits, and a holder goes without handing any
   * replay byte to the kernel, before that holder is closed. `Infinity`: never.
   */
  stallMs: number;
  /** Says each eviction, a few a time by id (opsLog.ts). */
  lines?: ReplayEvictionLines;
}

/** The connection a {@link ReplayAccount} belongs to, as the budget needs it to evict it. */
export interface ReplayOwner {
  /** Session id, for the log. */
  readonly id: string;
  /** Closes the connection (1013): its replay stalled the budget. Its account closes when the socket does. */
  evict(): void;
  /**
   * Bytes the kernel has taken from this connection so far, where the socket says
   * (undefined: not known). Write callbacks come a whole batch at a time (~1 MiB corked into
   * one writev), so a client reading steadily but below ~1 MiB per `stallMs` showed no
   * progress by them alone and was evicted as stalled.
   */
  sent?(): number | undefined;
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
 *
 * Connections whose clients never read keep their share until they close (heartbeats do
 * not cut a client that pings), so a few hundred of them stalled every other replay of the
 * node for good. With `stall` options, once the first page read in line has waited
 * `stallMs`, of the connections that have handed nothing to the kernel for `stallMs`, the
 * one without progress the longest is evicted (closed 1013; its client comes back and
 * resumes from its position). Progress is seen in steps (write callbacks per corked batch,
 * the socket's count per freed send buffer), so a client taking less than ~1 MiB per
 * `stallMs` can be a candidate too, behind every one stalled longer. One eviction per check,
 * and none more until its bytes are back (or `stallMs` passed). One timer for the whole
 * budget, armed only while something waits.
 */
export class ReplayBudget {
  /** Bytes charged now, all connections together (pages, their queued frames, reservations). */
  held = 0;
  /** Connections closed because their replays stalled the budget (`stats().replayEvictions`). */
  evictions = 0;
  /** @internal Accounts holding bytes now: the candidates for an eviction. */
  readonly holders = new Set<ReplayAccount>();
  private queue: Waiter[] = [];
  private head = 0;
  private timer: unknown;
  /** The last account evicted, until its connection closed: no other is evicted meanwhile. */
  private evicting: ReplayAccount | undefined;
  private evictedAt = 0;

  /**
   * @param max bytes held before page reads wait; `Infinity`: no bound.
   * @param stall when to evict a holder that stalls the line; without it, never.
   */
  constructor(
    readonly max: number,
    private readonly stall?: ReplayStallOptions,
  ) {}

  /** Page reads waiting for room now. */
  waiting = 0;

  /** A fresh account for one connection; `owner` is what an eviction closes (none: never evicted). */
  account(owner?: ReplayOwner): ReplayAccount {
    return new ReplayAccount(this, owner);
  }

  /** @internal The stall clock's time (0 without one). */
  now(): number {
    return this.stall?.clock.now() ?? 0;
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
    const waiter: Waiter = { bytes, onAdmit, go, gone: false, since: this.now() };
    this.queue.push(waiter);
    this.waiting++;
    this.watchStall();
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

  /** @internal `account` closed: it holds nothing now, and if it was the one evicted, the next check may run. */
  closed(account: ReplayAccount): void {
    this.holders.delete(account);
    if (this.evicting !== account) return;
    this.evicting = undefined;
    // Its bytes are back and admitted whoever fit: check again now whether the line still stalls.
    if (this.waiting > 0) this.armStallCheck(0);
  }

  /** A page read started waiting: the check runs once it (or an earlier one) has waited stallMs. */
  private watchStall(): void {
    if (this.timer !== undefined || !this.stall || this.stall.stallMs === Infinity) return;
    this.armStallCheck(this.stall.stallMs);
  }

  private armStallCheck(ms: number): void {
    const clock = this.stall!.clock;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.checkStall();
    }, Math.max(0, ms));
  }

  private stopStallCheck(): void {
    this.stall!.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stall!.lines?.flush();
  }

  /** When the first page read still in line started waiting; undefined when none is. */
  private oldestWaitSince(): number | undefined {
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i]!;
      if (!w.gone) return w.since;
    }
    return undefined;
  }

  /** The timer's work: at most one eviction, then the timer is armed for the next moment one may be due. */
  private checkStall(): void {
    const since = this.oldestWaitSince();
    if (since === undefined || !this.stall) return void this.stall?.lines?.flush();
    const { stallMs, lines } = this.stall;
    const now = this.now();
    if (now - since < stallMs) return this.armStallCheck(since + stallMs - now);
    // One at a time: the last one evicted gives its bytes back when its socket closes
    // (a client that does not read: CLOSE_STALL_MS later). Evicting on meanwhile would
    // close more connections than the room the line needs.
    if (this.evicting && now - this.evictedAt < stallMs) return this.armStallCheck(this.evictedAt + stallMs - now);
    let victim: ReplayAccount | undefined;
    let nextDue = Infinity;
    for (const a of this.holders) {
      // Only bytes read and waiting for its client count: a read in progress (a reservation
      // alone) waits on the broker, not on the client.
      if (a.evicted || !a.evictable || a.held <= a.reservedBytes) continue;
      // Due by its write callbacks; but the kernel may have taken bytes since (see ReplayOwner.sent).
      const due = a.tookSince(now) ? now + stallMs : a.lastProgress + stallMs;
      if (due > now) nextDue = Math.min(nextDue, due);
      // The longest without progress first (progress is seen in steps of a socket buffer, so
      // a slow reader may look stalled too: one that never reads has waited longer), then
      // the most bytes.
      else if (!victim || a.lastProgress < victim.lastProgress || (a.lastProgress === victim.lastProgress && a.held > victim.held)) victim = a;
    }
    if (!victim) return this.armStallCheck(nextDue === Infinity ? stallMs : nextDue - now);
    this.evicting = victim;
    this.evictedAt = now;
    this.evictions++;
    lines?.evicted(victim.ownerId, victim.held, now - victim.lastProgress);
    this.armStallCheck(stallMs);
    victim.evict();
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
    // The line is empty: nothing to evict for, and no timer left running.
    if (this.waiting === 0 && this.timer !== undefined) this.stopStallCheck();
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
  /**
   * Last time (stall clock) this connection's replay made write progress: bytes handed to
   * the kernel, or it started holding after holding nothing.
   */
  lastProgress = 0;
  /** Closed by the budget for stalling it (its socket may take a while to close). */
  evicted = false;
  private reserved = 0;
  private closed = false;
  /** What the owner's `sent()` said at the last progress seen. */
  private mark: number | undefined;
  private cancelWait: (() => void) | undefined;
  private rejectWait: ((err: Error) => void) | undefined;

  constructor(
    private readonly budget: ReplayBudget,
    private readonly owner?: ReplayOwner,
  ) {}

  /** @internal The page-sized reservation of a read in progress. */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** @internal Has an owner to close. */
  get evictable(): boolean {
    return this.owner !== undefined && !this.closed;
  }

  /** @internal Its owner's session id, for the log. */
  get ownerId(): string {
    return this.owner?.id ?? '?';
  }

  /** @internal Closes its connection (once): it stalled the budget. */
  evict(): void {
    if (this.evicted || !this.owner) return;
    this.evicted = true;
    this.owner.evict();
  }

  /**
   * @internal At a stall check: whether the kernel took bytes of this connection since the
   * progress last seen (then that is now).
   */
  tookSince(now: number): boolean {
    const cur = this.owner?.sent?.();
    if (cur === undefined || cur === this.mark) return false;
    this.mark = cur;
    this.lastProgress = now;
    return true;
  }

  /** Progress now: a holder is judged from here. */
  private progressed(): void {
    this.lastProgress = this.budget.now();
    this.mark = this.owner?.sent?.();
  }

  /** Keeps the budget's list of holders and this account's progress time in step with `held`. */
  private track(before: number): void {
    if (this.held > 0 && before === 0) {
      this.progressed();
      this.budget.holders.add(this);
    } else if (this.held <= 0) {
      this.budget.holders.delete(this);
    }
  }

  /**
   * Before a page read: reserves a page's worth of the budget, waiting for room. Nothing to
   * do when a reservation is still outstanding (a plan reading again from another offset).
   */
  async beforeRead(bytes: number = REPLAY_PAGE_BYTES): Promise<void> {
    if (this.closed) throw new ReplayClosedError();
    if (this.reserved > 0) return;
    const { ready, cancel } = this.budget.admit(bytes, () => {
      const before = this.held;
      this.reserved = bytes;
      this.held += bytes;
      this.track(before);
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
    const before = this.held;
    const diff = bytes - this.reserved;
    // Holding nothing but the reservation, it was waiting on the broker, not on its client:
    // its grace starts with the page (else a slow read got it evicted as it arrived).
    if (before === this.reserved) this.progressed();
    this.held += diff;
    this.reserved = 0;
    this.track(before);
    if (diff > 0) this.budget.charge(diff);
    else this.budget.release(-diff);
  }

  /** A reservation no page came of (no read, or a failed one) is given back. */
  unreserve(): void {
    if (this.closed || this.reserved === 0) return;
    const bytes = this.reserved;
    const before = this.held;
    this.reserved = 0;
    this.held -= bytes;
    this.track(before);
    this.budget.release(bytes);
  }

  /** `bytes` of a settled page left this connection's hands: handed to the kernel, or never sent. */
  release(bytes: number): void {
    if (this.closed) return;
    // Never more than the settled part: the reservation is the next page's.
    const n = Math.min(bytes, this.held - this.reserved);
    if (n <= 0) return;
    const before = this.held;
    this.held -= n;
    // Progress: the client took these (or they will never be sent), so it is not stalling the line.
    this.progressed();
    this.track(before);
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
    this.budget.closed(this);
  }
}

const budgets = new WeakMap<object, ReplayBudget>();

/** What {@link replayBudgetOf} reads off a node's options. */
export interface ReplayBudgetNode {
  opts: { maxReplayBytes: number; replayStallMs?: number; clock?: Clock; logger?: Logger };
}

/** The budget of one server node, keyed by an object that lives as long as the node (its context). */
export function replayBudgetOf(node: ReplayBudgetNode): ReplayBudget {
  let budget = budgets.get(node);
  if (!budget) {
    const { maxReplayBytes, replayStallMs, clock, logger } = node.opts;
    const stall = clock && replayStallMs !== undefined
      ? { clock, stallMs: replayStallMs, lines: logger && new ReplayEvictionLines(logger, clock) }
      : undefined;
    budgets.set(node, (budget = new ReplayBudget(maxReplayBytes, stall)));
  }
  return budget;
}
