import type { Broker, PresenceChange, StoredMessage } from './broker/types';

/** A local consumer of one channel's live feed (one per session and channel). */
export interface HubSubscriber {
  /** `frame` is the ready-to-send `msg` frame, serialized and UTF-8 encoded once for every subscriber. */
  onMessage(msg: StoredMessage, frame: Buffer): void;
  /** `frame` is the ready-to-send `presence` frame. */
  onPresence(frame: Buffer): void;
}

interface HubChannel {
  subs: Set<HubSubscriber>;
  detach: (() => Promise<void>)[] | undefined;
  /** Attach/detach steps run one at a time per channel. */
  chain: Promise<void>;
  /** Attach attempts that failed so far, and the last one's error. */
  failures: number;
  lastError?: unknown;
}

/**
 * Attaches to the broker's live feed once per channel for all local subscribers,
 * and detaches when the last one leaves. Each message is serialized once per
 * fan-out, not once per subscriber.
 */
export class ChannelHub {
  private readonly channels = new Map<string, HubChannel>();

  constructor(private readonly broker: Broker) {}

  /** Resolves once `sub` receives every message published from now on. */
  add(channel: string, sub: HubSubscriber): Promise<void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { subs: new Set(), detach: undefined, chain: Promise.resolve(), failures: 0 };
      this.channels.set(channel, entry);
    }
    entry.subs.add(sub);
    const e = entry;
    const failuresBefore = e.failures;
    return this.enqueue(e, async () => {
      if (e.detach || e.subs.size === 0) return;
      // An attempt that ended in failure while this one waited its turn: its error is this
      // one's too. Trying again in turn, each waiting its broker timeout (a Redis outage:
      // ~1 s), the n-th subscriber of a channel was answered after n seconds, and a crowd
      // reconnecting in an outage waited past the client's ack timeout (a reconnect loop).
      if (e.failures > failuresBefore) throw e.lastError;
      const detachers: (() => Promise<void>)[] = [];
      try {
        detachers.push(await this.broker.onMessage(channel, (msg) => this.fanOutMessage(e, msg)));
        detachers.push(await this.broker.onPresence(channel, (change) => this.fanOutPresence(e, channel, change)));
      } catch (err) {
        await Promise.allSettled(detachers.map((d) => d()));
        e.failures++;
        e.lastError = err;
        throw err;
      }
      e.detach = detachers;
    }).catch((err: unknown) => {
      e.subs.delete(sub);
      this.dropIfEmpty(channel, e);
      throw err;
    });
  }

  /** Stops delivery to `sub`; detaches from the broker when nobody local is left. */
  remove(channel: string, sub: HubSubscriber): Promise<void> {
    const e = this.channels.get(channel);
    if (!e || !e.subs.delete(sub)) return Promise.resolve();
    return this.enqueue(e, async () => {
      if (e.subs.size > 0 || !e.detach) return;
      const detachers = e.detach;
      e.detach = undefined;
      await Promise.allSettled(detachers.map((d) => d()));
    })
      .catch(() => undefined)
      .then(() => this.dropIfEmpty(channel, e));
  }

  /** Number of channels with at least one local subscriber (for tests and stats). */
  get size(): number {
    return this.channels.size;
  }

  private dropIfEmpty(channel: string, e: HubChannel): void {
    if (e.subs.size === 0 && !e.detach && this.channels.get(channel) === e) this.channels.delete(channel);
  }

  private enqueue(e: HubChannel, step: () => Promise<void>): Promise<void> {
    const run = e.chain.then(step);
    e.chain = run.catch(() => undefined);
    return run;
  }

  private fanOutMessage(e: HubChannel, msg: StoredMessage): void {
    if (e.subs.size === 0) return;
    const frame = Buffer.from(serializeMessage(msg));
    for (const sub of e.subs) sub.onMessage(msg, frame);
  }

  private fanOutPresence(e: HubChannel, channel: string, change: PresenceChange): void {
    if (e.subs.size === 0) return;
    const frame = Buffer.from(JSON.stringify({ type: 'presence', channel, event: change.event, member: change.member }));
    for (const sub of e.subs) sub.onPresence(frame);
  }
}

/** The wire form of a stored message (PROTOCOL.md §5 `msg`); `id` and `user` are left out when absent. */
export function serializeMessage(msg: StoredMessage): string {
  return JSON.stringify({
    type: 'msg',
    channel: msg.channel,
    offset: msg.offset,
    epoch: msg.epoch,
    data: msg.data,
    id: msg.id,
    user: msg.user,
    ts: msg.ts,
  });
}
