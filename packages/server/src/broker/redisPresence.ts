import type { Redis } from 'ioredis';
import type { PresenceMember } from '@lifeline/core/protocol';
import { channelKeys, presenceField } from './redisKeys';
import type { RedisSubscriptions } from './redisSubscriptions';
import { toMember, type PresenceChange, type PresenceEntry, type PresenceHold } from './types';

/** The presence scripts as ioredis custom commands (see redisScripts.ts). */
export interface PresenceCommands {
  llPresenceSet(...args: string[]): Promise<unknown>;
  llPresenceRemove(...args: string[]): Promise<unknown>;
  llPresenceList(...args: string[]): Promise<[string[], string[], string, string[]]>;
  llPresenceHold(...args: string[]): Promise<unknown>;
  llPresenceHolds(...args: string[]): Promise<[number, string[]]>;
  llPresenceCount(...args: string[]): Promise<[number, number]>;
}

export interface PresenceDeps {
  redis: () => Promise<Redis & PresenceCommands>;
  subscriptions: RedisSubscriptions;
  prefix: string;
  now: () => number;
  /** Extra lifetime of the channel's presence keys past the newest entry's TTL. */
  keyGraceMs: number;
  sweepEveryMs: number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** A listener that threw, or an unreadable event. */
  onError(err: Error): void;
  /** A Redis call of a background sweep or resync failed (the broker maps and reports it). */
  onRedisError?(err: unknown): void;
}

type Listener = (change: PresenceChange) => void;

interface Watch {
  listeners: Set<{ fn: Listener }>;
  /** clientId → member JSON as last announced, to rebuild missed events after a reconnect. */
  known: Map<string, string>;
  /** Settles once subscribed to the channel's events and `known` is loaded. */
  ready: Promise<void>;
  loaded: boolean;
  /** A reconnect happened while loading: events after the load may be missing, so resync once loaded. */
  resyncPending: boolean;
  /** When the channel's earliest entry expires, as of the last sweep (Infinity: no entries). */
  nextExpiry: number;
  /** Entries were added since the last sweep: their expiry is not known yet. */
  dirty: boolean;
  /**
   * Counts the changes of the channel's presence this node learned of while watching it:
   * events received (and resync diffs), and this node's own writes, at their start and
   * once answered. A list read may be shared only while it has not moved (see `list`).
   */
  changes: number;
}

/** A presence hold waiting to be sent with the others of its turn. */
interface PendingHold {
  args: string[];
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** What {@link RedisPresence.set} did: stored, refused as held by another user, or refused as full (the member count). */
export type SetOutcome = 'stored' | 'taken' | { full: number };

/** A list read in flight, which later callers may share (see `list`). */
interface SharedRead {
  watch: Watch;
  /** `watch.changes` when the read was sent. */
  changes: number;
  entries: Promise<PresenceEntry[]>;
}

/**
 * Presence shared through Redis. An entry carries an expiry time; any node's
 * presence call (and a periodic sweep by nodes that watch the channel) removes
 * expired entries and announces `leave`, so a crashed node's members disappear
 * after their TTL. Events travel over pub/sub to every node.
 */
export class RedisPresence {
  private readonly watches = new Map<string, Watch>();
  /** The latest list read in flight per channel: one at most each, gone once answered. */
  private readonly reads = new Map<string, SharedRead>();
  private sweepTimer: unknown;
  /** Holds waiting for the end of the turn, by connection (a replaced connection's go on their own). */
  private readonly holdBatches = new Map<Redis & PresenceCommands, PendingHold[]>();

  constructor(private readonly deps: PresenceDeps) {}

  /**
   * An enter (the entry becomes its client's newest), or with `refresh` a refresh (see
   * Broker.presenceRefresh). `'taken'`, nothing stored, when the clientId is held by another
   * user (the caller throws PresenceTakenError outside its outage accounting). With
   * `maxMembers` (maxPresenceMembers), `{ full: count }`, nothing stored, when the clientId is
   * not a member and the channel has `maxMembers` members already: checked by the script that
   * writes, so no interleaving of enters passes it. A refresh is checked only when its entry
   * is gone (it is stored again then, as an enter): one still held just lives longer.
   */
  async set(channel: string, entry: PresenceEntry, ttlMs: number, refresh = false, maxMembers = Infinity): Promise<SetOutcome> {
    const { connId, ...rest } = entry;
    const member = memberJson(rest);
    const now = this.deps.now();
    const keys = channelKeys(this.deps.prefix, channel);
    const owner = memberJson({ clientId: entry.clientId, user: entry.user }).slice(0, -1);
    this.changing(channel);
    try {
      const stored = await (await this.deps.redis()).llPresenceSet(
        ...presenceKeys(keys), String(now), keys.presenceEvents, presenceField(entry.clientId, connId),
        entry.clientId, member, String(now + ttlMs), String(ttlMs + this.deps.keyGraceMs), refresh ? '1' : '0',
        owner, entry.user === undefined ? '0' : '1', maxMembers === Infinity ? '' : String(maxMembers),
      );
      if (Array.isArray(stored) && stored[0] === 'full') return { full: Number(stored[1]) };
      return stored === 0 ? 'taken' : 'stored';
    } finally {
      this.changing(channel);
    }
  }

  async remove(channel: string, clientId: string, connId: string): Promise<void> {
    const keys = channelKeys(this.deps.prefix, channel);
    this.changing(channel);
    try {
      await (await this.deps.redis()).llPresenceRemove(
        ...presenceKeys(keys), String(this.deps.now()), keys.presenceEvents, presenceField(clientId, connId),
      );
    } finally {
      this.changing(channel);
    }
  }

  /**
   * See Broker.presenceHold: the hold's end is stored on this node's clock. A closing
   * connection asks for one per channel it was present on, all in one turn: they go to Redis
   * as one pipeline (one write; still one script per channel, each atomic on its own
   * channel's keys) rather than a command and a write each (100 for a client present on 100
   * channels). Each call still answers, or fails, on its own.
   */
  async hold(channel: string, clientId: string, connId: string, holdMs: number): Promise<void> {
    const keys = channelKeys(this.deps.prefix, channel);
    const now = this.deps.now();
    const args = [
      ...presenceKeys(keys), String(now), keys.presenceEvents, presenceField(clientId, connId),
      clientId, String(now + holdMs), String(holdMs),
    ];
    const redis = await this.deps.redis();
    await new Promise((resolve, reject) => {
      let batch = this.holdBatches.get(redis);
      if (!batch) {
        this.holdBatches.set(redis, (batch = []));
        // After the microtasks of this turn: every hold a cleanup loop asked for has reached
        // here by then (each waits on the same few promises first).
        process.nextTick(() => this.sendHolds(redis));
      }
      batch.push({ args, resolve, reject });
    });
  }

  private sendHolds(redis: Redis & PresenceCommands): void {
    const batch = this.holdBatches.get(redis) ?? [];
    this.holdBatches.delete(redis);
    if (batch.length === 1) {
      const [only] = batch as [PendingHold];
      redis.llPresenceHold(...only.args).then(only.resolve, only.reject);
      return;
    }
    const pipeline = redis.pipeline() as unknown as PresenceCommands & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const h of batch) void pipeline.llPresenceHold(...h.args);
    pipeline.exec().then(
      (results) => {
        batch.forEach((h, i) => {
          const [err, value] = results?.[i] ?? [new Error('redis broker: presence hold not answered'), undefined];
          if (err) h.reject(err);
          else h.resolve(value);
        });
      },
      (err: unknown) => {
        for (const h of batch) h.reject(err);
      },
    );
  }

  /** See Broker.presenceHolds: times left are on this node's clock, the one its expiry sweep runs on. */
  async holds(channel: string, clientId: string): Promise<PresenceHold[] | undefined> {
    const keys = channelKeys(this.deps.prefix, channel);
    const now = this.deps.now();
    const [count, flat] = await (await this.deps.redis()).llPresenceHolds(
      ...presenceKeys(keys), String(now), keys.presenceEvents, clientId,
    );
    const holds: PresenceHold[] = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const h: PresenceHold = { connId: flat[i] as string, ttlLeftMs: Number(flat[i + 1]) - now };
      const until = Number(flat[i + 2]);
      const total = Number(flat[i + 3]);
      // Written by this version only: anything else (empty, unreadable) counts as no hold.
      if (flat[i + 2] !== '' && Number.isFinite(until) && total > 0 && Number.isFinite(total)) h.hold = { leftMs: until - now, totalMs: total };
      holds.push(h);
    }
    return holds.length < count ? undefined : holds;
  }

  /** See Broker.presenceCount. */
  async count(channel: string, clientId: string): Promise<{ count: number; member: boolean }> {
    const keys = channelKeys(this.deps.prefix, channel);
    const [count, member] = await (await this.deps.redis()).llPresenceCount(
      ...presenceKeys(keys), String(this.deps.now()), keys.presenceEvents, clientId,
    );
    return { count, member: member === 1 };
  }

  /**
   * The channel's live entries, as a frozen array (presenceReply.ts serializes one once for
   * every `subscribed` it answers). Every `sub` reads the whole list (1,000 members of 4 KB:
   * 4 MB), so calls while a read of the channel is in flight share it, as long as nothing
   * this node knows of changed since that read was sent: the channel is watched (so other
   * nodes' changes reach this node as events) and no event, resync diff or write of this
   * node's came since. A change that came before a call is therefore always in its answer;
   * one the shared read missed and that this node had not heard of yet arrives as an event,
   * as it would after a read of the caller's own. Unwatched channels are read per call.
   */
  list(channel: string): Promise<PresenceEntry[]> {
    const watch = this.watches.get(channel);
    if (!watch?.loaded) return this.load(channel).then((l) => l.entries);
    const shared = this.reads.get(channel);
    if (shared && shared.watch === watch && shared.changes === watch.changes) return shared.entries;
    const read: SharedRead = {
      watch,
      changes: watch.changes,
      entries: this.load(channel).then((l) => Object.freeze(l.entries) as PresenceEntry[]),
    };
    this.reads.set(channel, read);
    const done = (): void => {
      if (this.reads.get(channel) === read) this.reads.delete(channel);
    };
    read.entries.then(done, done);
    return read.entries;
  }

  /** This node is writing `channel`'s presence: a list read sent before must not answer later calls. */
  private changing(channel: string): void {
    const watch = this.watches.get(channel);
    if (watch) watch.changes++;
  }

  /** Live entries after a sweep, and when the earliest of them expires (Infinity: none). */
  private async load(channel: string): Promise<{ entries: PresenceEntry[]; nextExpiry: number }> {
    const keys = channelKeys(this.deps.prefix, channel);
    const [fields, flat, earliest, flatLists = []] = await (await this.deps.redis()).llPresenceList(
      ...presenceKeys(keys), String(this.deps.now()), keys.presenceEvents,
    );
    const members = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) members.set(flat[i] as string, flat[i + 1] as string);
    // clientId → connId → [enter rank, own member JSON]
    const own = new Map<string, Map<string, [number, string]>>();
    for (let i = 0; i + 1 < flatLists.length; i += 2) {
      const list = JSON.parse(flatLists[i + 1] as string) as [string, string][];
      own.set(flatLists[i] as string, new Map(list.map(([conn, json], rank) => [conn, [rank, json]])));
    }
    const byClient = new Map<string, { rank: number; entry: PresenceEntry }[]>();
    for (const field of fields) {
      const sep = field.lastIndexOf('\u0000');
      const clientId = field.slice(0, sep);
      const connId = field.slice(sep + 1);
      // An entry missing from the list (stored by an older version) carries the member as announced, ranked oldest.
      const [rank, json] = own.get(clientId)?.get(connId) ?? [-1, members.get(clientId)];
      // Every live entry's client has a member; skip defensively rather than invent one.
      if (json === undefined) continue;
      let group = byClient.get(clientId);
      if (!group) byClient.set(clientId, (group = []));
      group.push({ rank, entry: { ...(JSON.parse(json) as PresenceMember), connId } });
    }
    // Oldest enter first per client, so its last entry is its newest (the member's info).
    const entries = [...byClient.values()].flatMap((group) => group.sort((x, y) => x.rank - y.rank).map((g) => g.entry));
    return { entries, nextExpiry: earliest === '' ? Infinity : Number(earliest) };
  }

  async watch(channel: string, fn: Listener): Promise<() => Promise<void>> {
    let watch = this.watches.get(channel);
    if (!watch) {
      watch = {
        listeners: new Set(), known: new Map(), ready: Promise.resolve(), loaded: false, resyncPending: false,
        nextExpiry: Infinity, dirty: false, changes: 0,
      };
      watch.ready = this.startWatch(channel, watch);
      this.watches.set(channel, watch);
    }
    try {
      await watch.ready;
    } catch (err) {
      if (this.watches.get(channel) === watch) this.watches.delete(channel);
      throw err;
    }
    const entry = { fn };
    watch.listeners.add(entry);
    const owner = watch;
    return async () => {
      if (!owner.listeners.delete(entry) || owner.listeners.size > 0) return;
      if (this.watches.get(channel) === owner) this.watches.delete(channel);
      await this.deps.subscriptions.remove(channelKeys(this.deps.prefix, channel).presenceEvents);
    };
  }

  private async startWatch(channel: string, watch: Watch): Promise<void> {
    const name = channelKeys(this.deps.prefix, channel).presenceEvents;
    await this.deps.subscriptions.add(name, (payload) => this.onEvent(watch, payload));
    try {
      const { entries, nextExpiry } = await this.load(channel);
      watch.known = knownOf(entries);
      watch.nextExpiry = nextExpiry;
      watch.loaded = true;
    } catch (err) {
      await this.deps.subscriptions.remove(name);
      throw err;
    }
    this.scheduleSweep();
    // Runs after the listener is attached: the resync answers only after another round trip.
    if (watch.resyncPending) void this.resyncWatch(channel, watch).catch((err: unknown) => this.redisError(err));
  }

  /** Removes expired entries of every watched channel now (their `leave` events follow). */
  async sweep(): Promise<void> {
    await Promise.all([...this.watches].map(([channel, watch]) => this.refresh(channel, watch)));
  }

  private async refresh(channel: string, watch: Watch): Promise<void> {
    watch.dirty = false;
    try {
      watch.nextExpiry = (await this.load(channel)).nextExpiry;
    } catch (err) {
      watch.dirty = true;
      throw err;
    }
  }

  /** After a reconnect: announce what changed while events could not arrive. */
  async resync(): Promise<void> {
    for (const [channel, watch] of this.watches) await this.resyncWatch(channel, watch);
  }

  private async resyncWatch(channel: string, watch: Watch): Promise<void> {
    // Still loading: its load may predate the outage, so it resyncs once loaded.
    if (!watch.loaded) {
      watch.resyncPending = true;
      return;
    }
    watch.resyncPending = false;
    const loaded = await this.load(channel);
    watch.nextExpiry = loaded.nextExpiry;
    const now = knownOf(loaded.entries);
    for (const [clientId, json] of watch.known) {
      if (!now.has(clientId)) this.emit(watch, { event: 'leave', member: JSON.parse(json) as PresenceMember });
    }
    for (const [clientId, json] of now) {
      const before = watch.known.get(clientId);
      if (before === json) continue;
      this.emit(watch, { event: before === undefined ? 'join' : 'update', member: JSON.parse(json) as PresenceMember });
    }
    watch.known = now;
  }

  private redisError(err: unknown): void {
    if (this.deps.onRedisError) this.deps.onRedisError(err);
    else this.deps.onError(err as Error);
  }

  stop(): void {
    if (this.sweepTimer !== undefined) this.deps.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
    this.watches.clear();
    this.reads.clear();
  }

  private onEvent(watch: Watch, payload: string): void {
    let change: PresenceChange;
    try {
      change = JSON.parse(payload) as PresenceChange;
    } catch (err) {
      this.deps.onError(new Error('redis broker: unreadable presence event', { cause: err }));
      return;
    }
    const json = memberJson(change.member);
    if (change.event === 'leave') {
      watch.known.delete(change.member.clientId);
    } else {
      watch.known.set(change.member.clientId, json);
      watch.dirty = true;
      this.scheduleSweep();
    }
    this.emit(watch, change);
  }

  private emit(watch: Watch, change: PresenceChange): void {
    watch.changes++;
    for (const l of [...watch.listeners]) {
      try {
        l.fn(change);
      } catch (err) {
        this.deps.onError(err as Error);
      }
    }
  }

  // Sweeps cost Redis a script per channel, so a channel is swept only when one of its
  // entries may have expired (or entries of unknown expiry arrived); the timer itself
  // runs only while some watched channel has entries.
  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined) return;
    const pending = [...this.watches.values()].some((w) => w.dirty || w.nextExpiry !== Infinity);
    if (!pending) return;
    this.sweepTimer = this.deps.setTimer(() => {
      this.sweepTimer = undefined;
      const now = this.deps.now();
      const due = [...this.watches].filter(([, w]) => w.loaded && (w.dirty || w.nextExpiry <= now));
      Promise.all(due.map(([channel, watch]) => this.refresh(channel, watch)))
        .catch((err: unknown) => this.redisError(err))
        .finally(() => this.scheduleSweep());
    }, this.deps.sweepEveryMs);
  }
}

const presenceKeys = (k: ReturnType<typeof channelKeys>): string[] =>
  [k.presenceExpiry, k.presenceCount, k.presenceCurrent, k.presenceEntries];

/** Canonical member JSON (fixed field order) so equal members compare equal in Lua. */
function memberJson(m: PresenceMember): string {
  return JSON.stringify(toMember(m));
}

function knownOf(entries: PresenceEntry[]): Map<string, string> {
  const known = new Map<string, string>();
  for (const { connId: _connId, ...member } of entries) known.set(member.clientId, memberJson(member));
  return known;
}
