import { decodeNotification } from './redisCodec';
import type { RedisSubscriptions } from './redisSubscriptions';
import type { ReadResult, StoredMessage } from './types';

export interface LiveFeedDeps {
  subscriptions: RedisSubscriptions;
  /** Pub/sub channel name carrying a channel's notifications. */
  feedName(channel: string): string;
  read(channel: string, after: number, limit: number): Promise<ReadResult>;
  /** Records a notified offset as seen (see redisHighWater.ts). */
  observe(channel: string, epoch: string, offset: number): void;
  /** Replaces the channel's epoch if it is still `stale` (Redis lost acknowledged writes). */
  rotate(channel: string, stale: string): Promise<void>;
  /**
   * Optional: resolves once this node has received every notification published before the
   * call (or its pub/sub connection dropped, so none of them is coming). A catch-up calls it
   * before it calls missing offsets lost: their notifications may only be late.
   */
  flush?(): Promise<void>;
  /** Messages fetched per catch-up read. */
  catchUpBatch: number;
  /** Schedules a retry of failed catch-ups (injected clock). */
  retryLater(fn: () => void): void;
  onError(err: Error): void;
}

type Listener = (msg: StoredMessage) => void;

/** Notifications buffered per channel while delivery is stalled; beyond, re-read from the stream. */
const MAX_QUEUED = 10_000;

interface Feed {
  channel: string;
  listeners: Set<{ fn: Listener }>;
  ready: Promise<void>;
  started: boolean;
  closed: boolean;
  epoch: string;
  /** Highest offset delivered (or the head when the feed started). */
  last: number;
  queue: StoredMessage[];
  needsCatchUp: boolean;
  pumping: boolean;
  /**
   * Highest offset notified per epoch (Infinity once the epoch is known to have gone back).
   * Kept apart from the broker's HighWaterMarks (which these offsets also feed): only
   * notifications arrive in script order on one connection, so only they may be compared
   * with each other without a "sent after" guarantee; a mark also holds acks and read
   * heads that overtake their notifications. Per epoch, so a failover back to an older
   * epoch is still noticed by a notification (marks keep several epochs too, but only a
   * publish or a read of this node consults them); it lives and dies with the feed.
   */
  notified: Map<string, number>;
  /**
   * Where delivery stood in each epoch the feed left (last {@link MAX_EPOCHS}). Epochs are
   * opaque, so a notification of a lost history can arrive after a read moved the feed to a
   * newer one; back in that newer one, the feed goes on from here, not from offset 1 again.
   */
  left: Map<string, number>;
  /** An epoch to rotate before delivering anything else. */
  rotate: string | undefined;
}

/** Epochs remembered per feed for the notified check. */
const MAX_EPOCHS = 8;

/**
 * Cross-node live delivery. Each stored message is PUBLISHed by the publish script;
 * a node subscribes only to channels it has listeners for, so an idle node does
 * nothing at all. Pub/sub can drop notifications only across a disconnect (or a
 * notification we have not seen yet), so every jump in offsets and every reconnect
 * is filled from the stream with XRANGE before delivery continues: listeners see
 * each offset once, in order.
 */
export class RedisLiveFeed {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly deps: LiveFeedDeps) {}

  async attach(channel: string, fn: Listener): Promise<() => Promise<void>> {
    let feed = this.feeds.get(channel);
    if (!feed) {
      feed = this.createFeed(channel);
      this.feeds.set(channel, feed);
    }
    try {
      await feed.ready;
    } catch (err) {
      if (this.feeds.get(channel) === feed) this.feeds.delete(channel);
      throw err;
    }
    const entry = { fn };
    feed.listeners.add(entry);
    const owner = feed;
    return async () => {
      if (!owner.listeners.delete(entry) || owner.listeners.size > 0) return;
      owner.closed = true;
      if (this.feeds.get(channel) === owner) this.feeds.delete(channel);
      await this.deps.subscriptions.remove(this.deps.feedName(channel));
    };
  }

  /**
   * After a reconnect: fetch whatever was published while notifications could not arrive.
   * A feed still starting is marked too: its head read may have run before the outage
   * began, and the pump that follows the start catches up from that head.
   */
  resync(): void {
    for (const feed of this.feeds.values()) {
      feed.needsCatchUp = true;
      void this.pump(feed);
    }
  }

  detachAll(): void {
    for (const feed of this.feeds.values()) feed.closed = true;
    this.feeds.clear();
  }

  private createFeed(channel: string): Feed {
    const feed: Feed = {
      channel, listeners: new Set(), ready: Promise.resolve(), started: false, closed: false,
      epoch: '', last: 0, queue: [], needsCatchUp: false, pumping: false, notified: new Map(), left: new Map(), rotate: undefined,
    };
    feed.ready = this.start(feed);
    return feed;
  }

  private async start(feed: Feed): Promise<void> {
    const name = this.deps.feedName(feed.channel);
    await this.deps.subscriptions.add(name, (payload) => this.onNotification(feed, payload));
    try {
      // Subscribed first, head second: nothing published after this read can be missed.
      const head = await this.deps.read(feed.channel, Number.MAX_SAFE_INTEGER - 1, 0);
      feed.epoch = head.epoch;
      feed.last = head.head;
    } catch (err) {
      await this.deps.subscriptions.remove(name);
      throw err;
    }
    feed.started = true;
    void this.pump(feed);
  }

  private onNotification(feed: Feed, payload: string): void {
    let msg: StoredMessage;
    try {
      msg = decodeNotification(feed.channel, payload);
    } catch (err) {
      // Not ours to understand (foreign publisher on our key): recover from the stream.
      this.deps.onError(new Error(`redis broker: unreadable notification on ${feed.channel}`, { cause: err }));
      feed.needsCatchUp = true;
      void this.pump(feed);
      return;
    }
    // One connection receives a channel's notifications in the order the scripts ran, and
    // offsets of one epoch only grow: one at or below an offset already notified in its
    // epoch means Redis lost acknowledged writes and is handing their offsets out again.
    // Rotate the epoch (subscribers then see an explicit change, not a silent loss) and
    // distrust every later notification of that epoch.
    const seen = feed.notified.get(msg.epoch);
    if (seen !== undefined && msg.offset <= seen) {
      feed.notified.set(msg.epoch, Infinity);
      feed.rotate = msg.epoch;
      void this.pump(feed);
      return;
    }
    feed.notified.delete(msg.epoch);
    feed.notified.set(msg.epoch, msg.offset);
    if (feed.notified.size > MAX_EPOCHS) feed.notified.delete(feed.notified.keys().next().value as string);
    this.deps.observe(feed.channel, msg.epoch, msg.offset);
    if (feed.queue.length >= MAX_QUEUED) {
      // Delivery is stalled (command connection down): the stream holds all of these.
      feed.queue.length = 0;
      feed.needsCatchUp = true;
    } else {
      feed.queue.push(msg);
    }
    void this.pump(feed);
  }

  private async pump(feed: Feed): Promise<void> {
    if (feed.pumping || !feed.started) return;
    feed.pumping = true;
    try {
      while (!feed.closed) {
        if (feed.rotate !== undefined) {
          // Cleared only once done: a failed rotation is retried with the catch-up.
          await this.deps.rotate(feed.channel, feed.rotate);
          feed.rotate = undefined;
          feed.needsCatchUp = true;
          continue;
        }
        if (feed.needsCatchUp) {
          // Cleared before the read, not after: a reconnect during this read (whose answer
          // may predate the outage) asks for another catch-up, which must not be erased.
          feed.needsCatchUp = false;
          await this.catchUp(feed);
          continue;
        }
        const msg = feed.queue.shift();
        if (!msg) break;
        if (msg.epoch !== feed.epoch && msg.offset === 1 && !feed.left.has(msg.epoch)) {
          // A new history from its first message: its notifications follow in order, so no
          // read is needed. Reading, the stream may already hold yet another history (lost
          // again meanwhile), and this stored, acknowledged message reached no listener.
          this.enter(feed, msg.epoch);
        }
        if (msg.epoch !== feed.epoch || msg.offset > feed.last + 1) {
          // Unknown history or missing offsets: the stream is the source of truth.
          feed.queue.unshift(msg);
          await this.catchUp(feed);
          feed.queue.shift();
          if (msg.epoch !== feed.epoch) continue; // from a history that is gone
        }
        // After a catch-up `msg` was either delivered by it or is the next one.
        if (msg.offset === feed.last + 1) this.deliver(feed, msg);
      }
    } catch (err) {
      feed.needsCatchUp = true;
      // Detached (or the broker closed) while a read was in flight: nothing to retry.
      if (feed.closed) return;
      this.deps.onError(err as Error);
      this.deps.retryLater(() => {
        if (!feed.closed) void this.pump(feed);
      });
    } finally {
      feed.pumping = false;
    }
  }

  private async catchUp(feed: Feed): Promise<void> {
    const batch = this.deps.catchUpBatch;
    let rotated = false;
    let flushed = false;
    for (;;) {
      this.takeQueued(feed);
      const r = await this.deps.read(feed.channel, feed.last, batch);
      if (feed.closed) return;
      if (r.epoch === feed.epoch && r.head < feed.last) {
        // The head went below what this feed delivered: Redis lost acknowledged writes (the
        // broker's read normally notices first). Once rotated, follow what is there even if
        // the epoch stayed (a `newEpoch` that repeats itself).
        if (!rotated) {
          rotated = true;
          await this.deps.rotate(feed.channel, r.epoch);
          continue;
        }
        feed.last = r.head;
      }
      if (r.epoch !== feed.epoch) {
        // The history was lost and restarted: follow the new one from its start (or from
        // where the feed was in it, when it comes back to it).
        this.enter(feed, r.epoch);
        continue;
      }
      // Notifications that arrived during the read continue the feed as well.
      this.takeQueued(feed);
      let first = r.messages.find((m) => m.offset > feed.last);
      if (first && first.offset > feed.last + 1 && !flushed && this.deps.flush) {
        // The stream no longer has them, but their notifications (published before the read)
        // may still be on the way: a burst on a small retention, just after a lost history or
        // a reconnect, lost messages that were about to arrive. Wait for those, then decide.
        flushed = true;
        await this.deps.flush();
        if (feed.closed) return;
        this.takeQueued(feed);
        first = r.messages.find((m) => m.offset > feed.last);
      }
      if (first && first.offset > feed.last + 1) {
        this.deps.onError(new Error(
          `redis broker: ${feed.channel} offsets ${feed.last + 1}..${first.offset - 1} fell out of retention before delivery`,
        ));
      }
      for (const msg of r.messages) if (msg.offset > feed.last) this.deliver(feed, msg);
      if (r.messages.length < batch || feed.last >= r.head) return;
    }
  }

  /**
   * Delivers the notifications in hand that continue the feed (the pump would deliver them
   * after the catch-up anyway), so a catch-up needs the stream only for what they do not
   * cover: the stream may have trimmed what they hold (a small retention, a burst).
   */
  private takeQueued(feed: Feed): void {
    for (const msg of feed.queue) {
      if (feed.closed) return;
      if (msg.epoch === feed.epoch && msg.offset === feed.last + 1) this.deliver(feed, msg);
    }
  }

  /** Moves the feed to `epoch`, remembering where it was in the one it leaves (see `left`). */
  private enter(feed: Feed, epoch: string): void {
    feed.left.delete(feed.epoch);
    feed.left.set(feed.epoch, feed.last);
    if (feed.left.size > MAX_EPOCHS) feed.left.delete(feed.left.keys().next().value as string);
    feed.epoch = epoch;
    feed.last = feed.left.get(epoch) ?? 0;
    feed.left.delete(epoch);
  }

  private deliver(feed: Feed, msg: StoredMessage): void {
    feed.last = msg.offset;
    for (const listener of [...feed.listeners]) {
      try {
        listener.fn(msg);
      } catch (err) {
        this.deps.onError(err as Error);
      }
    }
  }
}
