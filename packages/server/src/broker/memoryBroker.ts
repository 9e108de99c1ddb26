import { randomBytes } from 'node:crypto';
import type { Position } from '@lifeline/core/protocol';
import { systemClock, type Clock } from '../clock';
import { BrokerUnavailableError } from './redisErrors';
import { checkNumeric, COUNT_RULE, type NumericRule } from './numericOption';
import { checkKnownKeys } from './optionKeys';
import { defaultMaxRetainedBytes, messageBytes, RetainedBudget } from './retainedBudget';
import {
  PresenceTakenError,
  toMember,
  type Broker,
  type PresenceChange,
  type PresenceEntry,
  type PublishResult,
  type ReadResult,
  type StoredMessage,
} from './types';

/**
 * Options of {@link memoryBroker}. Every field is optional (`undefined` = left out); a key
 * that is not one of these throws a TypeError naming the closest one.
 */
export interface MemoryBrokerOptions {
  /** Messages kept per channel: an integer from 1 to `Number.MAX_SAFE_INTEGER`. @default 1000 */
  retention?: number | undefined;
  /**
   * Idempotency ids remembered per channel and publisher (token `sub`; one window for
   * every publisher without one): an integer from 1 to `Number.MAX_SAFE_INTEGER`. @default 10000
   */
  dedupeWindow?: number | undefined;
  /** How long an idempotency id is remembered, ms: a number > 0, or `Infinity`. @default 600000 (10 minutes) */
  dedupeTtlMs?: number | undefined;
  /**
   * Bytes of messages retained over all channels together, estimated (data's JSON length,
   * id, user and channel name, plus 128 bytes each): past it the oldest retained messages
   * of the whole broker are dropped, whatever their channel, so a later subscriber from
   * before them gets `recovered: false, reason: "out-of-retention"` (PROTOCOL.md §5).
   * Publishes are never refused for it; a live subscriber gets every message as usual.
   * An integer >= 1, or `Infinity` (no bound: one token publishing to a new channel each
   * time then grows memory until the process dies).
   * @default a quarter of the heap limit (`--max-old-space-size`), at most 268435456 (256 MiB)
   */
  maxRetainedBytes?: number | undefined;
  /**
   * Channels kept for their log alone (a message was stored on them, and nobody on this
   * broker subscribes or is present there now). Past it the one least recently published
   * to or read is forgotten, log, position and publish ids: when it is used again it starts
   * over under a new epoch, so a subscriber with a position there gets `recovered: false,
   * reason: "epoch-changed"` (PROTOCOL.md §5), and a publish re-sent with an id it had is
   * stored again (in the new epoch). An integer >= 1, or `Infinity`. @default 50000 (about 70 MB of empty channels)
   */
  maxIdleChannels?: number | undefined;
  /** Time source for `ts` and dedupe expiry. @default the system clock */
  clock?: Clock | undefined;
}

/** Every key of MemoryBrokerOptions (tsc fails when the interface gains one this lacks). */
const MEMORY_BROKER_OPTION_KEYS: readonly string[] = Object.keys({
  retention: true,
  dedupeWindow: true,
  dedupeTtlMs: true,
  maxRetainedBytes: true,
  maxIdleChannels: true,
  clock: true,
} as const satisfies Record<keyof MemoryBrokerOptions, true>);

/** A broker whose history can be thrown away, as a process restart would. */
export interface ResettableBroker extends Broker {
  /** Loses every log, dedupe id and presence entry; channels get fresh epochs. Listeners stay. */
  reset(): Promise<void>;
}

/** What {@link memoryBroker} returns. */
export interface MemoryBroker extends ResettableBroker {
  /** An entry still held needs no refresh here (no TTLs); one that is gone is stored as by `presenceSet`. */
  presenceRefresh(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  /**
   * Channels held in memory: those with a stored message since the start or the last
   * reset, a presence entry or a listener. A channel only ever read is not held.
   */
  channelCount(): number;
  /**
   * Publish ids held for dedupe, over every channel: those stored within `dedupeTtlMs`
   * (each channel's and publisher's newest `dedupeWindow` at most), forgotten at the next
   * publish to any channel once older.
   */
  dedupeIdCount(): number;
  /**
   * Entries of the broker-wide expiry queue: the ids held, and those the window evicted
   * still waiting for their TTL; kept at most `2 × dedupeIdCount() + 1024`.
   */
  dedupeQueueLength(): number;
  /**
   * What {@link MemoryBrokerOptions.maxRetainedBytes} and {@link MemoryBrokerOptions.maxIdleChannels}
   * count: the estimated `bytes` and the `messages` retained now, `idleChannels` held for
   * their log alone, and since the start `trimmedMessages` (dropped by the byte bound, not by
   * per-channel retention) and `forgottenChannels` (dropped by the channel bound).
   */
  retainedStats(): { bytes: number; messages: number; idleChannels: number; trimmedMessages: number; forgottenChannels: number };
  /**
   * Members (distinct clientIds) present on `channel` now, and whether `clientId` is one of
   * them: answered at once, so a server can check its `maxPresenceMembers` and store an
   * enter with nothing in between (PresenceRoom in presenceRoom.ts).
   */
  presenceMembers(channel: string, clientId: string): { count: number; member: boolean };
}

interface ChannelLog {
  epoch: string;
  head: number;
  /** Contiguous retained messages, oldest first. */
  log: StoredMessage[];
  /** The estimated size of each message of `log` (RetainedBudget). */
  sizes: number[];
  /**
   * Publisher (token `sub`, `undefined` for none) → id → original result; Map keeps
   * insertion order, so the oldest is first. A window per publisher: with one per channel,
   * another user publishing `dedupeWindow` ids (a few seconds from 50 connections) evicted
   * this one's, and its re-send after a reconnect was stored twice.
   */
  dedupe: Map<string | undefined, Map<string, DedupeHit>>;
  listeners: Set<(msg: StoredMessage) => void>;
  /** clientId → connId → entry. */
  presence: Map<string, Map<string, PresenceEntry>>;
  presenceListeners: Set<(change: PresenceChange) => void>;
  /**
   * What presenceList answers while the channel's entries do not change: the same frozen
   * array, so a server can reuse what it made of it (the reply to each `sub` carried every
   * member: 16 sockets re-subscribing to a channel of 500 members kept a core busy).
   */
  presenceCache: readonly PresenceEntry[] | undefined;
}

interface DedupeHit {
  offset: number;
  epoch: string;
  at: number;
}

// Checked up front: `NaN` kept every message (`length > NaN` is never true), `0.5` acted as 1.
const count = (name: string, value: number): number => checkNumeric('memory broker', name, value, COUNT_RULE);
// 0, a negative number or NaN forgot every id at once: a re-sent publish was stored twice.
// A fraction of a ms or more than 2^53 is harmless here (nothing but a comparison uses it).
const DEDUPE_TTL_RULE: NumericRule = { min: 0, aboveMin: true, integer: false, infinite: true };
/** A bound that may be turned off: a count, or `Infinity`. */
const BOUND_RULE: NumericRule = { ...COUNT_RULE, infinite: true };

const newEpoch = (): string => `e_${randomBytes(6).toString('hex')}`;

function sameMember(a: PresenceEntry, b: PresenceEntry): boolean {
  return a.user === b.user && JSON.stringify(a.info) === JSON.stringify(b.info);
}

function callEach<T>(listeners: Set<(v: T) => void>, value: T): void {
  for (const listener of [...listeners]) {
    // One faulty listener must not stop delivery to the others or fail the publish.
    try {
      listener(value);
    } catch {
      /* the listener owns its errors */
    }
  }
}

/**
 * In-process broker: bounded per-channel logs, a fresh epoch on every start (or
 * {@link ResettableBroker.reset}; one random epoch per broker lifetime, shared by its
 * channels), idempotency ids kept per publisher for
 * `dedupeWindow` ids and `dedupeTtlMs`. Listeners are called synchronously, in
 * offset order, before `publish` resolves. A channel nothing was published on is
 * forgotten once it has no listener and no presence entry (it comes back unchanged).
 */
export function memoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  checkKnownKeys('memory broker', options, MEMORY_BROKER_OPTION_KEYS);
  const retention = count('retention', options.retention ?? 1000);
  const dedupeWindow = count('dedupeWindow', options.dedupeWindow ?? 10_000);
  const dedupeTtlMs = checkNumeric('memory broker', 'dedupeTtlMs', options.dedupeTtlMs ?? 600_000, DEDUPE_TTL_RULE);
  const budget = new RetainedBudget(checkNumeric('memory broker', 'maxRetainedBytes', options.maxRetainedBytes ?? defaultMaxRetainedBytes(), BOUND_RULE));
  const maxIdleChannels = checkNumeric('memory broker', 'maxIdleChannels', options.maxIdleChannels ?? 50_000, BOUND_RULE);
  const clock = options.clock ?? systemClock;
  const channels = new Map<string, ChannelLog>();
  // The epoch of every channel nothing was published on since the start (or reset): such
  // a channel can be forgotten once nobody listens or is present and made again
  // unchanged. Held forever, each channel a read-only client merely subscribed to was
  // memory it could grow without bound (subscribe, unsubscribe, next name).
  let idleEpoch = newEpoch();
  let closed = false;

  const open = (): void => {
    // An outage as far as callers can tell: BROKER_UNAVAILABLE, not INTERNAL.
    if (closed) throw new BrokerUnavailableError('memory broker is closed');
  };

  const channelOf = (name: string): ChannelLog => {
    let ch = channels.get(name);
    if (!ch) {
      ch = {
        epoch: idleEpoch,
        head: 0,
        log: [],
        sizes: [],
        dedupe: new Map(),
        listeners: new Set(),
        presence: new Map(),
        presenceListeners: new Set(),
        presenceCache: undefined,
      };
      channels.set(name, ch);
    }
    return ch;
  };

  // Channels held for their log alone, least recently used first (re-inserted on use).
  const idle = new Map<string, ChannelLog>();
  let forgotten = 0;

  /**
   * Settles `name` after a use: forgotten when it holds nothing a fresh channel would not,
   * kept as idle (and the least recently used idle ones forgotten past maxIdleChannels)
   * when it holds a log alone, out of the idle set while anyone listens or is present.
   */
  const release = (name: string, ch: ChannelLog): void => {
    if (channels.get(name) !== ch) return;
    if (ch.listeners.size || ch.presenceListeners.size || ch.presence.size) {
      idle.delete(name);
      return;
    }
    if (ch.head === 0) {
      idle.delete(name);
      channels.delete(name);
      return;
    }
    idle.delete(name);
    idle.set(name, ch);
    while (idle.size > maxIdleChannels) forget(idle.keys().next().value as string);
  };

  /** Drops an idle channel whole; made again, it gets an epoch its old one is not. */
  const forget = (name: string): void => {
    const ch = idle.get(name)!;
    idle.delete(name);
    channels.delete(name);
    budget.dropAll(ch);
    for (const ids of ch.dedupe.values()) live -= ids.size;
    ch.dedupe.clear();
    // Offsets start again at 1: under the same epoch a subscriber's position would point
    // into the new log (PROTOCOL.md §5: a server that loses a log replaces its epoch).
    if (ch.epoch === idleEpoch) idleEpoch = newEpoch();
    forgotten++;
  };

  // Every id stored, in the order stored (so by time), across channels: a publish to any
  // channel forgets those past dedupeTtlMs. Trimmed only by a publish to the same channel,
  // a channel that went quiet held its ids (up to dedupeWindow) for good.
  let expiry: { ch: ChannelLog; user: string | undefined; id: string; at: number }[] = [];
  let expired = 0;
  /** Ids in the channels' maps (the queue also holds those the window evicted). */
  let live = 0;
  const held = (e: (typeof expiry)[number]): boolean => e.ch.dedupe.get(e.user)?.get(e.id)?.at === e.at;
  const forgetExpired = (now: number): void => {
    while (expired < expiry.length && now - expiry[expired]!.at >= dedupeTtlMs) {
      const e = expiry[expired++]!;
      // Not one stored again since (after expiring) nor evicted by the window and re-stored.
      if (!held(e)) continue;
      const ids = e.ch.dedupe.get(e.user)!;
      ids.delete(e.id), live--;
      // A publisher gone quiet leaves no empty window behind (one per user ever seen).
      if (ids.size === 0) e.ch.dedupe.delete(e.user);
    }
    // Ids the window evicted stay queued until their TTL: one busy channel queued rate × TTL.
    if (expiry.length - expired > 2 * live + 1024) (expiry = expiry.slice(expired).filter(held)), (expired = 0);
    else if (expired > 1024 && expired * 2 > expiry.length) (expiry = expiry.slice(expired)), (expired = 0);
  };

  const lookupId = (ch: ChannelLog, id: string, user: string | undefined): PublishResult | undefined => {
    const hit = ch.dedupe.get(user)?.get(id);
    return hit ? { offset: hit.offset, epoch: hit.epoch, duplicate: true } : undefined;
  };

  const broker: MemoryBroker = {
    async publish(channel, data, id, user) {
      open();
      const ch = channelOf(channel);
      const now = clock.now();
      forgetExpired(now);
      if (id !== undefined) {
        const dup = lookupId(ch, id, user);
        if (dup) return dup;
      }
      const msg: StoredMessage = { channel, offset: ch.head + 1, epoch: ch.epoch, data, ts: now };
      if (id !== undefined) msg.id = id;
      if (user !== undefined) msg.user = user;
      // Sized before anything is stored: data JSON cannot carry fails here, not at delivery.
      const size = messageBytes(msg);
      ch.head = msg.offset;
      budget.add(ch, msg, size);
      if (ch.log.length > retention) budget.dropFirst(ch);
      budget.trim();
      if (id !== undefined) {
        let ids = ch.dedupe.get(user);
        if (!ids) ch.dedupe.set(user, (ids = new Map()));
        ids.set(id, { offset: msg.offset, epoch: msg.epoch, at: now });
        expiry.push({ ch, user, id, at: now });
        live++;
        if (ids.size > dedupeWindow) ids.delete(ids.keys().next().value as string), live--;
      }
      callEach(ch.listeners, msg);
      release(channel, ch);
      return { offset: msg.offset, epoch: msg.epoch, duplicate: false };
    },

    async position(channel): Promise<Position> {
      open();
      const ch = channelOf(channel);
      release(channel, ch);
      return { offset: ch.head, epoch: ch.epoch };
    },

    async read(channel, after, limit): Promise<ReadResult> {
      open();
      const ch = channelOf(channel);
      const earliest = ch.log.length ? ch.log[0]!.offset : ch.head + 1;
      const start = Math.max(0, after + 1 - earliest);
      const messages = limit > 0 ? ch.log.slice(start, start + limit) : [];
      release(channel, ch);
      return { epoch: ch.epoch, head: ch.head, earliest, messages };
    },

    async onMessage(channel, listener) {
      open();
      const ch = channelOf(channel);
      ch.listeners.add(listener);
      idle.delete(channel);
      return async () => {
        ch.listeners.delete(listener);
        release(channel, ch);
      };
    },

    async presenceSet(channel, entry) {
      open();
      const ch = channelOf(channel);
      let conns = ch.presence.get(entry.clientId);
      const current = conns ? [...conns.values()].at(-1) : undefined;
      // A member is one user's: another's entry under its clientId would show that user's
      // info as the member's on every screen, and keep it listed after its own leave.
      if (current && current.user !== entry.user) throw new PresenceTakenError(`clientId ${entry.clientId} is held on ${channel} by another user`);
      if (!conns) {
        conns = new Map();
        ch.presence.set(entry.clientId, conns);
      }
      const stored = { ...entry };
      idle.delete(channel);
      ch.presenceCache = undefined;
      conns.delete(entry.connId); // re-insert so the newest entry is last
      conns.set(entry.connId, stored);
      const member = toMember(stored);
      if (!current) callEach(ch.presenceListeners, { event: 'join', member });
      else if (!sameMember(current, stored)) callEach(ch.presenceListeners, { event: 'update', member });
    },

    async presenceRefresh(channel, entry, ttlMs) {
      open();
      // No TTLs here: an entry still held needs nothing (and must not become the newest).
      if (channels.get(channel)?.presence.get(entry.clientId)?.has(entry.connId)) return;
      await broker.presenceSet(channel, entry, ttlMs);
    },

    async presenceRemove(channel, clientId, connId) {
      open();
      const ch = channels.get(channel);
      const conns = ch?.presence.get(clientId);
      const entry = conns?.get(connId);
      if (!ch || !conns || !entry) return;
      const current = [...conns.values()].at(-1)!;
      conns.delete(connId);
      ch.presenceCache = undefined;
      if (conns.size > 0) {
        // The member's info is its newest entry's: removing that one may change it.
        const next = [...conns.values()].at(-1)!;
        if (!sameMember(current, next)) callEach(ch.presenceListeners, { event: 'update', member: toMember(next) });
        return;
      }
      ch.presence.delete(clientId);
      callEach(ch.presenceListeners, { event: 'leave', member: toMember(entry) });
      release(channel, ch);
    },

    async presenceList(channel) {
      open();
      const ch = channels.get(channel);
      if (!ch) return [];
      ch.presenceCache ??= Object.freeze([...ch.presence.values()].flatMap((conns) => [...conns.values()].map((e) => Object.freeze({ ...e }))));
      // Frozen: callers share it until the channel's presence changes.
      return ch.presenceCache as PresenceEntry[];
    },

    presenceMembers(channel, clientId) {
      const presence = channels.get(channel)?.presence;
      return { count: presence?.size ?? 0, member: presence?.has(clientId) ?? false };
    },

    retainedStats() {
      return { bytes: budget.bytes, messages: budget.count, idleChannels: idle.size, trimmedMessages: budget.trimmed, forgottenChannels: forgotten };
    },

    async onPresence(channel, listener) {
      open();
      const ch = channelOf(channel);
      ch.presenceListeners.add(listener);
      idle.delete(channel);
      return async () => {
        ch.presenceListeners.delete(listener);
        release(channel, ch);
      };
    },

    async healthy() {
      return !closed;
    },

    dedupeQueueLength() {
      return expiry.length - expired;
    },

    dedupeIdCount() {
      let n = 0;
      for (const ch of channels.values()) for (const ids of ch.dedupe.values()) n += ids.size;
      return n;
    },

    channelCount() {
      return channels.size;
    },

    async close() {
      closed = true;
    },

    async reset() {
      open();
      idleEpoch = newEpoch();
      expiry = [];
      expired = 0;
      live = 0;
      for (const [name, ch] of channels) {
        ch.epoch = idleEpoch;
        ch.head = 0;
        budget.dropAll(ch);
        ch.dedupe.clear();
        ch.presence.clear();
        ch.presenceCache = undefined;
        release(name, ch);
      }
    },
  };
  return broker;
}

/** `true` for brokers that can lose their history on demand (the memory broker). */
export function isResettable(broker: Broker): broker is ResettableBroker {
  return typeof (broker as Partial<ResettableBroker>).reset === 'function';
}
