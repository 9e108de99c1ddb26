import type { Position } from '@lifeline/core/protocol';
import type { Broker, ReadResult, StoredMessage } from './broker/types';

/**
 * Messages per broker read of a replay (with REPLAY_PAGE_BYTES, about the most a replay
 * holds in memory at once): the next page is read only once the previous one has been written to the
 * socket. Read whole before sending (pages of 1,000), a reconnect storm held every
 * subscriber's whole backlog at once (1,000 clients owed 1,000 messages: 1,000,000
 * messages; with 64 KiB messages, 64 MiB per client and channel). At 200 a page of the
 * largest messages (`maxFrameBytes` 64 KiB: ~13 MiB) stays below what a connection may
 * queue anyway (`maxBufferedBytes` 16 MiB), and a 1,000-message backlog takes five reads.
 */
export const REPLAY_PAGE = 200;

/**
 * Bytes of stored data a replay page stops at (the broker returns at least one message):
 * pages are bounded by bytes as well as by count. 200 messages of 60 KB were one 12 MB
 * read, held by the connection until its client read them: 20 clients that never read
 * held 605 MB, and 120 such reads at once stalled Redis for every client of the node.
 * The Redis broker honours it; the memory broker's messages are shared, not copied.
 */
export const REPLAY_PAGE_BYTES = 1024 * 1024;

/** Runs one log read of a replay (a node-wide gate: replayReads.ts); by default, at once. */
export type ReplayReadRunner = <T>(read: () => Promise<T>) => Promise<T>;

const atOnce: ReplayReadRunner = (read) => read();

export type ReplayLoss = 'epoch-changed' | 'out-of-retention';

export interface ReplayPlan {
  epoch: string;
  /** Head at the time of the read the plan stands on: the subscribed reply's `offset`. */
  head: number;
  /** Only set when the request carried `since`. */
  recovered?: boolean;
  reason?: ReplayLoss;
  /**
   * How many messages `pages` holds in all (the reply's `replay`). When recovered,
   * `head - since.offset`; when continuity was lost, the retained tail of the current
   * epoch, `head - (earliest - 1)` (0 for an empty log, or when no tail is sent).
   */
  count: number;
  /**
   * Exactly the `count` messages up to `head`, ascending, a page at a time: when
   * recovered those in `(since.offset, head]`, when lost the retained `[earliest, head]`.
   * The next page is read only when the caller asks for it. Throws
   * {@link ReplayBrokenError} when a later page shows the rest is no longer there, or
   * the broker's error when a read fails.
   */
  pages: AsyncIterable<StoredMessage[]>;
}

/**
 * Continuity was lost after the first page: the log was trimmed past the part not yet
 * read, or its epoch changed. The subscriber was promised the whole gap already.
 */
export class ReplayBrokenError extends Error {
  constructor(readonly reason: ReplayLoss) {
    super(`replay lost continuity (${reason})`);
    this.name = 'ReplayBrokenError';
  }
}

const NOTHING: AsyncIterable<StoredMessage[]> = { [Symbol.asyncIterator]: async function* () {} };

/**
 * Reads the first page of what a subscriber with `since` is owed (PROTOCOL.md §5), which
 * decides `recovered`/`reason`; the rest is read as the caller walks `pages`. Must be
 * called after the subscriber is attached to the live feed, so nothing published after
 * `head` can be missed.
 */
export async function planReplay(
  broker: Broker,
  channel: string,
  since: Position | undefined,
  pageSize: number,
  runRead: ReplayReadRunner = atOnce,
): Promise<ReplayPlan> {
  if (!since) {
    const pos = await broker.position(channel);
    return { epoch: pos.epoch, head: pos.offset, count: 0, pages: NOTHING };
  }
  const read: PageRead = (from) => runRead(() => broker.read(channel, from, pageSize, REPLAY_PAGE_BYTES));
  let after = since.offset;
  let r = await read(after);
  // A read after `since.offset` of another epoch may start past that epoch's earliest:
  // the tail is read again from there. Bounded: a log that keeps changing under the
  // reads (epoch after epoch, or going back) gets the gap without the tail.
  for (let reads = 1; ; reads++) {
    const { epoch, head, earliest } = r;
    const lost = (reason: ReplayLoss): ReplayPlan => ({ epoch, head, recovered: false, reason, count: 0, pages: NOTHING });
    if (epoch === since.epoch) {
      // Only after a Redis restore that brought back the old epoch under a re-read.
      if (after !== since.offset) {
        if (reads >= MAX_PLAN_READS) return lost('out-of-retention');
        after = since.offset;
        r = await read(after);
        continue;
      }
      // Ahead of the head in the same epoch: offsets of an epoch only grow, so the log lost
      // messages the client has (Redis losing acknowledged writes) and offsets after the head
      // may be handed out again for other messages. An explicit gap, never recovered: true
      // (the client would drop those as duplicates), and no tail: the client's messages
      // below the head may differ from the log's. The epoch is not changed for it: any
      // client could claim any offset.
      if (since.offset > head) return lost('out-of-retention');
      if (since.offset === head) return { epoch, head, recovered: true, count: 0, pages: NOTHING };
      if (since.offset + 1 < earliest) return tail(read, r, 'out-of-retention');
      // Before the reply, a hole is still an honest `recovered: false`.
      const page = owed(r.messages, since.offset + 1, head);
      if (!page?.length) return lost('out-of-retention');
      return { epoch, head, recovered: true, count: head - since.offset, pages: rest(read, epoch, head, page) };
    }
    // The read's messages start at `earliest` only when it asked for less than that (an
    // empty log has nothing to read again for).
    if (after < earliest || earliest > head) return tail(read, r, 'epoch-changed');
    if (reads >= MAX_PLAN_READS) return lost('epoch-changed');
    after = earliest - 1;
    r = await read(after);
  }
}

/** One page of the channel's log after `after` (count and byte bounds, through the read gate). */
type PageRead = (after: number) => Promise<ReadResult>;

/** Most reads that decide a plan: after `since`, from the new epoch's start, once more if the log changed in between. */
const MAX_PLAN_READS = 3;

/**
 * Continuity lost, but the current epoch's retained messages are still deliverable: the
 * gap ends where they start, and they follow the reply (with the seam of a recovered
 * replay) instead of being skipped. `r` must have been read from below `r.earliest`.
 */
function tail(read: PageRead, r: ReadResult, reason: ReplayLoss): ReplayPlan {
  const { epoch, head, earliest } = r;
  const plan: ReplayPlan = { epoch, head, recovered: false, reason, count: 0, pages: NOTHING };
  if (earliest > head) return plan; // nothing retained
  // A hole in the first page: nothing was promised yet, so the plain gap to the head.
  const page = owed(r.messages, earliest, head);
  if (!page?.length) return plan;
  return { ...plan, count: head - earliest + 1, pages: rest(read, epoch, head, page) };
}

/** `first`, then one read per page until `head`; a page is read when the previous one was taken. */
async function* rest(read: PageRead, epoch: string, head: number, first: StoredMessage[]): AsyncGenerator<StoredMessage[]> {
  let last = first[first.length - 1]!.offset;
  yield first;
  while (last < head) {
    const r = await read(last);
    if (r.epoch !== epoch) throw new ReplayBrokenError('epoch-changed');
    const page = owed(r.messages, last + 1, head);
    // Retention trimmed between pages (or the log went back): the rest is gone.
    if (!page?.length) throw new ReplayBrokenError('out-of-retention');
    last = page[page.length - 1]!.offset;
    yield page;
  }
}

/** The messages of `page` from offset `next` on, up to `head`; null at a hole. */
function owed(page: StoredMessage[], next: number, head: number): StoredMessage[] | null {
  const out: StoredMessage[] = [];
  for (const m of page) {
    // Checked before the head test: a page trimmed meanwhile starts above the head.
    if (m.offset !== next + out.length) return null;
    if (m.offset > head) break;
    out.push(m);
  }
  return out;
}

/**
 * The first `limit` messages of `plan` (a `sub` with `limit`), or `plan` itself when it
 * holds no more than that. Cut, its `head` is the page's last offset, so the reply's
 * `offset` is still where its `replay` messages end (and a loss's gap still ends at
 * `offset - replay`); `more` says the log goes on and the subscription must not go live.
 */
export function limitPlan(plan: ReplayPlan, limit: number | undefined): ReplayPlan & { more?: true } {
  if (!limit || plan.count <= limit) return plan;
  const head = plan.head - plan.count + limit;
  return { ...plan, head, count: limit, more: true, pages: upTo(plan.pages, head) };
}

async function* upTo(pages: AsyncIterable<StoredMessage[]>, head: number): AsyncGenerator<StoredMessage[]> {
  for await (const page of pages) {
    const last = page[page.length - 1]!.offset;
    yield last > head ? page.filter((m) => m.offset <= head) : page;
    // Leaving the loop returns the inner generator: no read past the page is made.
    if (last >= head) return;
  }
}
