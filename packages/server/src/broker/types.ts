import type { Position, PresenceMember } from '@lifeline/core/protocol';

/** One message as stored in a channel's log. */
export interface StoredMessage {
  channel: string;
  offset: number;
  epoch: string;
  data: unknown;
  /** Idempotency id of the publish. */
  id?: string;
  /**
   * The publisher's token `sub`, set by the server (never by the client) on a server with
   * a secret when the token has one (PROTOCOL.md §5). Absent otherwise, and on messages
   * stored before it existed.
   */
  user?: string;
  /** Time it was stored, ms since epoch. */
  ts: number;
}

export interface PublishResult {
  offset: number;
  epoch: string;
  /** The id had been stored before; `offset` is the original one. */
  duplicate: boolean;
}

export interface ReadResult {
  epoch: string;
  /** Head offset (last assigned; 0 when the log is empty). */
  head: number;
  /** Lowest offset still retained (head + 1 when nothing is retained). */
  earliest: number;
  /** Retained messages with `offset > after`, ascending, at most `limit`. */
  messages: StoredMessage[];
}

/** Presence member as the broker keeps it: one entry per (clientId, node-local connection). */
export interface PresenceEntry extends PresenceMember {
  /** Opaque id of the connection holding the entry (so one client on two tabs counts once per tab). */
  connId: string;
}

/**
 * One presence entry of a `clientId` as {@link Broker.presenceHolds} describes it. Times are
 * left from now on the answering broker's clock (the one its own expiry checks use).
 */
export interface PresenceHold {
  connId: string;
  /**
   * Set while a node holds the entry in its presence grace (its connection closed; see
   * {@link Broker.presenceHold}): `leftMs` until that node's grace removes it (0 or less:
   * overdue) and `totalMs`, the whole hold that node announced. Absent: a live
   * connection's entry (or one stored by a node that does not mark its holds).
   */
  hold?: { leftMs: number; totalMs: number };
  /** Until the entry's TTL ends it: this broker removes it on any call once that has passed. */
  ttlLeftMs: number;
}

/**
 * A presence set refused because its `clientId` is held on the channel by another user
 * (another token `sub`, or none where the holder has one). The server answers the enter
 * with `FORBIDDEN` (PROTOCOL.md §8).
 */
export class PresenceTakenError extends Error {
  override readonly name = 'PresenceTakenError';
}

/**
 * The key, within its channel, a publish id is deduplicated under once its publisher has
 * a token `sub`: the pair, as JSON (unambiguous whatever either holds). Keyed by the id
 * alone, any user allowed to publish on a channel could store a message under an id
 * another user was about to send (ids are on every `msg` frame, and the reference
 * client's are predictable), and that user's publish was then acked `duplicate: true` and
 * never stored. Without a `sub` (an open server) the id alone is the key, as before: there
 * is no publisher to scope by. PROTOCOL.md §6.
 */
export const publisherIdKey = (user: string, id: string): string => JSON.stringify([user, id]);

export type PresenceChange = { event: 'join' | 'leave' | 'update'; member: PresenceMember };

/** The wire member of an entry: `clientId`, then `user` and `info` when present (fixed order). */
export function toMember(m: PresenceMember): PresenceMember {
  const member: PresenceMember = { clientId: m.clientId };
  if (m.user !== undefined) member.user = m.user;
  if (m.info !== undefined) member.info = m.info;
  return member;
}

/**
 * Extends `entry`'s life: {@link Broker.presenceRefresh} when the broker has it, else
 * {@link Broker.presenceSet} (which, for a client on two connections with different info,
 * announces an `update` on each call).
 */
export function refreshPresence(broker: Broker, channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
  return broker.presenceRefresh ? broker.presenceRefresh(channel, entry, ttlMs) : broker.presenceSet(channel, entry, ttlMs);
}

/**
 * A change in whether a broker can serve ({@link Broker.onStatus}): `available: false`
 * when an outage begins (`reason` says what was noticed first), `available: true` when it
 * is over (`downMs` after it began).
 */
export type BrokerStatusChange =
  | { available: false; reason: string }
  | { available: true; downMs: number };

/**
 * Where channel logs live. The memory broker keeps them in-process; the Redis broker
 * shares them between server nodes. Every method is async so both fit.
 *
 * Ordering contract: `onMessage` listeners of one channel are called in offset
 * order, each offset once, for every message published on any node after the
 * listener was attached.
 */
export interface Broker {
  /**
   * Appends to the log unless `id` was seen from the same `user` within the dedupe window
   * (a duplicate keeps the original message, its `user` included): ids are scoped to their
   * publisher, so one user cannot pre-empt another's (see {@link publisherIdKey}); without
   * `user` they are scoped to the channel only. `user` (the publisher's token `sub`) is
   * stored with the message and delivered with it; omitted, the message has none.
   */
  publish(channel: string, data: unknown, id?: string, user?: string): Promise<PublishResult>;
  /** Current head and epoch (creates the channel's epoch if it has none yet). */
  position(channel: string): Promise<Position>;
  /**
   * Reads retained messages after `after`. `maxBytes` (optional, a bound for replay pages)
   * lets the broker stop early once the messages' stored data adds up to it, returning at
   * least one: the Redis broker honours it (each read is a copy out of Redis); the memory
   * broker may ignore it (its messages are shared, not copied).
   */
  read(channel: string, after: number, limit: number, maxBytes?: number): Promise<ReadResult>;
  /** Live messages of a channel; returns a function that detaches the listener. */
  onMessage(channel: string, listener: (msg: StoredMessage) => void): Promise<() => Promise<void>>;

  /**
   * Adds or refreshes a presence entry (TTL in ms, for cross-node expiry).
   *
   * Event contract (what `onPresence` listeners see), keyed by `clientId` so a client
   * moving from one connection to another within the server's grace period never flaps:
   * - `join` when the first entry for a `clientId` appears on the channel;
   * - `update` when an entry is set for a `clientId` already present and its `info`
   *   (or `user`) differs from the current one;
   * - nothing when the same member is refreshed unchanged or gains another connection.
   *
   * A set is an enter: the entry becomes the `clientId`'s newest, whose `user` and `info`
   * are the member's (also when it was already stored).
   *
   * Rejects with {@link PresenceTakenError}, storing nothing, when the `clientId` is held
   * on the channel by another `user` (clientIds are public: every member and msg id shows
   * them). A refresh of an entry that is gone is a set, and is refused the same way.
   */
  presenceSet(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  /**
   * Optional: extends an existing entry's life to `ttlMs` from now (the heartbeat, a
   * drain's hold), without making it the newest entry and without any event. With two
   * connections of one `clientId` holding different `info`, an enter on every heartbeat
   * made each the newest in turn: `update` twice per heartbeat for an idle member. An
   * entry that is gone (expired or removed) is stored as by {@link presenceSet}. The
   * server calls {@link presenceSet} instead on a broker without it (see
   * {@link refreshPresence}); the memory and Redis brokers have it.
   */
  presenceRefresh?(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  /**
   * Optional: the connection of entry `connId` closed and this node holds the entry in its
   * presence grace for `holdMs` more (then removes it). Stored with the entry (and gone with
   * it), so that every node can tell when the hold ends ({@link presenceHolds}); no event.
   * Nothing happens when the entry is gone. Rejects with a RangeError unless `holdMs` is a
   * positive finite number. The Redis broker has it; the memory broker, one node's only,
   * does not.
   */
  presenceHold?(channel: string, clientId: string, connId: string, holdMs: number): Promise<void>;
  /**
   * Optional: every live entry of `clientId` on `channel`, with what {@link presenceHold}
   * stored for it; `undefined` when some entry cannot be described (stored by a node from
   * before holds existed). The Redis broker has it.
   */
  presenceHolds?(channel: string, clientId: string): Promise<PresenceHold[] | undefined>;
  /**
   * Removes one entry; `leave` is emitted only when it was the `clientId`'s last entry.
   * When other entries remain and the removed one was the newest, the member's info is
   * the newest remaining entry's: `update` with it when that differs.
   */
  presenceRemove(channel: string, clientId: string, connId: string): Promise<void>;
  /**
   * Every live entry (possibly several per `clientId`, each with its own `info`; the
   * server merges them for the wire). A `clientId`'s entries come oldest first: its last
   * one is its newest, whose `user` and `info` are the member's.
   */
  presenceList(channel: string): Promise<PresenceEntry[]>;
  onPresence(channel: string, listener: (change: PresenceChange) => void): Promise<() => Promise<void>>;

  /** `true` when the backing store answers (for /healthz). */
  healthy(): Promise<boolean>;
  /**
   * Optional: tells `listener` when the broker stops being able to serve (its store stops
   * answering, refuses as unavailable, or a connection drops) and when it can again.
   * Edge-triggered: one `available: false` per outage and one `available: true` at its
   * end, however many calls failed in between; a listener added during an outage hears
   * `available: false` at once. The server logs them (`logger.warn` / `logger.info`).
   * Returns a function that removes the listener. The Redis broker has it; the memory
   * broker, which cannot be unavailable, does not.
   */
  onStatus?(listener: (change: BrokerStatusChange) => void): () => void;
  close(): Promise<void>;
}
