import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Position } from '@lifeline/core/protocol';
import { decodeEntry, encodeData } from './redisCodec';
import { wellFormed } from '../wireValues';
import { openConnection, ReadyGate, type LogCommands } from './redisConnection';
import { PING_STALL_MS, RedisAvailability, ROLE_NAMES, type Role } from './redisAvailability';
import { BrokerUnavailableError, configErrorOf, isBrokerUnavailable, redactUrl, RedisConfigError, toBrokerError } from './redisErrors';
import { channelKeys, type ChannelKeys } from './redisKeys';
import { PUBLISH_LUA } from './redisScripts';
import { HighWaterMarks } from './redisHighWater';
import { RedisLiveFeed } from './redisLiveFeed';
import { MAX_CATCH_UP_BATCH, numericOptions, PRESENCE_KEY_GRACE_MS, REDIS_BROKER_DEFAULTS as D, wallClock, type RedisBrokerOptions } from './redisOptions';
import { redisDbProblem } from './redisUrl';
import { RedisPresence, type PresenceCommands } from './redisPresence';
import { RedisSubscriptions } from './redisSubscriptions';
import { MAX_TIMER_MS } from '../clock';
import { PresenceTakenError, publisherIdKey, type Broker, type BrokerStatusChange, type PresenceEntry, type PresenceHold, type PublishResult, type ReadResult } from './types';

export { BrokerUnavailableError, isBrokerUnavailable, maybeStored, RedisConfigError } from './redisErrors';
export type { BrokerClock, RedisBrokerOptions } from './redisOptions';
export { REDIS_BROKER_DEFAULTS } from './redisOptions';

/** A {@link Broker} backed by Redis, plus Redis-specific extras. */
export interface RedisBroker extends Broker {
  presenceRefresh(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  presenceHold(channel: string, clientId: string, connId: string, holdMs: number): Promise<void>;
  presenceHolds(channel: string, clientId: string): Promise<PresenceHold[] | undefined>;
  /** Members (distinct clientIds) of `channel` and whether `clientId` is one, read without the member list. */
  presenceCount(channel: string, clientId: string): Promise<{ count: number; member: boolean }>;
  /**
   * {@link Broker.presenceSet} bounded by `maxMembers` members (distinct clientIds) per
   * channel, checked atomically with the write (the server's `maxPresenceMembers`): resolves
   * `undefined` once stored, or, nothing stored, the channel's member count when `entry`'s
   * clientId is not a member and the channel has `maxMembers` or more. No interleaving of
   * enters on any number of nodes passes the bound. `Infinity`: unbounded, as presenceSet.
   * Rejects with PresenceTakenError as presenceSet does.
   */
  presenceSetBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined>;
  /**
   * {@link Broker.presenceRefresh} bounded as {@link presenceSetBounded} is: an entry still
   * held only has its life extended (never refused); one that is gone (expired at its TTL,
   * say through an outage longer than it) is stored again only if its clientId is still a
   * member or the channel has fewer than `maxMembers` members, checked in the same atomic
   * step as the write. Resolves `undefined` once stored, or, nothing stored, the channel's
   * member count. Unbounded, a member lost at its TTL came back at its next heartbeat on a
   * channel that had filled up meanwhile, past the bound. `Infinity`: unbounded, as
   * presenceRefresh. Rejects with PresenceTakenError as presenceRefresh does.
   */
  presenceRefreshBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined>;
  /** Sweeps expired presence entries of the channels this node watches, now (normally done on its own when due). */
  sweepPresence(): Promise<void>;
  /**
   * Outages and stalls, edge-triggered (see {@link Broker.onStatus}): a dropped
   * connection, commands unanswered within `commandTimeoutMs` (or no connection within
   * `readyTimeoutMs`), a PING (`healthy()`, the stall probe, the liveness PING of a node
   * with live subscriptions) unanswered for 1 s, "unavailable" replies (OOM, READONLY,
   * LOADING…), or a configuration Redis refuses (credentials, database index: reported to
   * `onError` once as a {@link RedisConfigError}) begin one; every cause cleared
   * (connections ready, Redis answering again, PINGed every second during a stall) ends
   * it, `downMs` counted from when the first unanswered call was sent. A PING unanswered
   * within `commandTimeoutMs` replaces its connection. Connection losses also still reach
   * `onError`, once per connection.
   */
  onStatus(listener: (change: BrokerStatusChange) => void): () => void;
}

/**
 * PUBLISH_LUA with its fifth key, the legacy dedupe key. Defined here rather than beside
 * `llPublish` (redisConnection.ts, four keys: a node from before publisher-scoped ids, as
 * the rolling-upgrade test replays one): a key the script reads must be one of its KEYS.
 */
interface ScopedPublish {
  llPublishScoped(...args: string[]): Promise<[number, string, number]>;
}

type Commands = Redis & LogCommands & PresenceCommands & ScopedPublish;

/**
 * A member is one user's (Broker.presenceSet): another's enter would show its info as the
 * member's on every node, and keep it listed after the holder's own leave. Thrown outside
 * `guarded`: Redis answered, so it is no outage.
 */
const taken = (channel: string, entry: PresenceEntry): PresenceTakenError =>
  new PresenceTakenError(`clientId ${entry.clientId} is held on ${channel} by another user`);

/**
 * The Redis keys `id` is deduplicated under, `[key, legacy]`: per publisher
 * (`publisherDedupe` + the pair) when it has a token `sub`, else `dedupe` + id as before
 * (an open server's keys are unchanged across the upgrade). The two prefixes differ, so
 * no id without a publisher can name a publisher's key. Without an id the script ignores
 * the key. `legacy` is the key a node from before the scoping stored a publisher's id
 * under, read by the script only when `key` misses (the rolling-upgrade fallback,
 * SCALING.md); equal to `key` when there is none to read.
 */
function dedupeKeysOf(k: ChannelKeys, id: string | undefined, user: string | undefined): [string, string] {
  if (id === undefined) return [k.dedupe, k.dedupe];
  if (user === undefined) return [`${k.dedupe}${id}`, `${k.dedupe}${id}`];
  return [`${k.publisherDedupe}${publisherIdKey(user, id)}`, `${k.dedupe}${id}`];
}

/**
 * Broker that keeps channel logs in Redis Streams so several server nodes share them:
 * one stream per channel, offsets and epochs assigned atomically by a Lua script (so
 * they agree on every node and survive server restarts), dedupe ids as keys with a
 * TTL, cross-node fan-out over pub/sub with XRANGE catch-up, presence with TTLs.
 *
 * Uses two connections per node (commands, pub/sub). While Redis is unreachable every
 * call rejects with {@link BrokerUnavailableError} (`code: 'BROKER_UNAVAILABLE'`),
 * `healthy()` is false, and live listeners resume from the last offset they saw
 * once Redis is back. `onStatus` listeners hear once when an outage or a stall begins
 * and once when it ends (the server logs both).
 *
 * @throws RangeError for a numeric option out of range (see {@link RedisBrokerOptions}).
 * @throws TypeError for a `url` whose database is not a whole number (`redis://h/abc`, `/1.5`).
 * @example
 * const server = await createServer({ port: 8080, broker: redisBroker({ url: 'redis://10.0.0.5:6379' }) });
 */
export function redisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  const prefix = options.keyPrefix ?? D.keyPrefix;
  const { retention, readyTimeoutMs, dedupeTtlMs, idleChannelTtlMs, presenceTtlMs, presenceSweepMs, commandTimeoutMs, catchUpBatch } = numericOptions(options);
  const clock = options.clock ?? wallClock;
  const idleTtl = idleChannelTtlMs === Infinity ? '' : String(idleChannelTtlMs);
  const newEpoch = options.newEpoch ?? (() => `e_${randomBytes(8).toString('hex')}`);
  const onError = options.onError ?? ((err: Error) => console.error(err));
  const url = options.url ?? D.url;
  const dbProblem = redisDbProblem(url);
  if (dbProblem !== undefined) throw new TypeError(`redis broker: url ${dbProblem}, got "${redactUrl(url)}"`);
  const settings = {
    url,
    commandTimeoutMs,
    reconnectDelayMs: options.reconnectDelayMs ?? ((attempt: number) => Math.min(attempt * 100, 2000)),
    extra: options.redisOptions,
  };

  const cmd = openConnection(settings, 'cmd') as Commands;
  cmd.defineCommand('llPublishScoped', { numberOfKeys: 5, lua: PUBLISH_LUA });
  const sub = openConnection(settings, 'sub');
  const conn = (role: Role): Redis => (role === 'cmd' ? cmd : sub);
  let closed = false;
  // Every wait for a connection ends at close (one closed while reconnecting never emits 'end').
  const cmdGate = new ReadyGate(cmd, clock);
  const subGate = new ReadyGate(sub, clock);
  /** Run once at close: ends the waits of `healthy()` calls in flight. */
  const onClose = new Set<() => void>();
  reportOutages(cmd, 'commands', onError, settings.url);
  reportOutages(sub, 'pub/sub', onError, settings.url);
  // Each connection's socket, counted: a PING that timed out on an earlier socket says
  // nothing about the current one, which must not be dropped for it.
  const socketNo: Record<Role, number> = { cmd: 0, sub: 0 };
  cmd.on('close', () => void socketNo.cmd++);
  sub.on('close', () => void socketNo.sub++);
  /**
   * PINGs `role`; a PING unanswered within `commandTimeoutMs` on a ready connection drops
   * it, and ioredis connects a new socket. A link that died without a FIN or RST (a
   * partition, a failover behind one address) is never reported by the kernel in useful
   * time (~15 min with unacknowledged data, ~2 h idle), so PINGing the same socket, as the
   * stall probe did, left a node BROKER_UNAVAILABLE for good after a 2 s cut. The new
   * socket's `ready` re-subscribes and catches the live feeds up from their last offset.
   */
  // A PING unanswered for PING_STALL_MS begins a stall there and then (the command timeout
  // comes 5 s later): a SIGSTOPped Redis was logged 5 s in, after /healthz had said 503
  // for 4 s. Armed per PING, cleared when it settles or at close.
  const pingWatch = new Set<unknown>();
  const pingOrReplace = (role: Role): Promise<unknown> => {
    const c = conn(role);
    const socket = socketNo[role];
    const sentAt = clock.now();
    let watch: unknown;
    if (commandTimeoutMs > PING_STALL_MS) {
      watch = clock.setTimeout(() => {
        pingWatch.delete(watch);
        if (closed || socketNo[role] !== socket) return;
        availability.failed(role, 'ping', new BrokerUnavailableError(`redis broker: ${ROLE_NAMES[role]} connection answered no PING within ${PING_STALL_MS} ms`), sentAt);
      }, PING_STALL_MS);
      pingWatch.add(watch);
    }
    return c.ping().finally(() => {
      clock.clearTimeout(watch);
      pingWatch.delete(watch);
    }).catch((err: unknown) => {
      if (!closed && isTimeout(err) && socketNo[role] === socket && c.status === 'ready') c.disconnect(true);
      throw err;
    });
  };
  const availability = new RedisAvailability({ clock, ping: pingOrReplace, onError });
  watchAvailability(cmd, 'cmd', cmdGate, availability, settings.url, onError, () => closed);
  watchAvailability(sub, 'sub', subGate, availability, settings.url, onError, () => closed);
  /**
   * Records a failed call for the status (a bug's error is not an outage; a refused
   * configuration is already known). `sentAt`: when the call was sent, where the outage
   * is counted from.
   */
  const noteFailure = (role: Role, what: string, err: Error, sentAt?: number): Error => {
    if (!closed && isBrokerUnavailable(err) && !(err.cause instanceof RedisConfigError)) availability.failed(role, what, err, sentAt);
    return err;
  };

  /** The command connection, once ready (waits up to `readyTimeoutMs` across a reconnect). */
  const ready = async (): Promise<Commands> => {
    if (closed) throw new BrokerUnavailableError('redis broker: closed');
    await cmdGate.wait(readyTimeoutMs);
    return cmd;
  };
  /** `write`: a failure after the command was sent leaves its outcome unknown (`maybeStored`). */
  const guarded = async <T>(what: string, fn: (redis: Commands) => Promise<T>, write = false): Promise<T> => {
    let redis: Commands;
    const waitedFrom = clock.now();
    try {
      redis = await ready();
    } catch (err) {
      throw noteFailure('cmd', what, toBrokerError(err, what), waitedFrom);
    }
    const sentAt = clock.now();
    try {
      const result = await fn(redis);
      availability.answered('cmd', what);
      return result;
    } catch (err) {
      throw noteFailure('cmd', what, toBrokerError(err, what, write), sentAt);
    }
  };

  // Redis losing acknowledged writes (AOF everysec crash, RDB restore, failover to a
  // lagging replica) brings a channel back with its epoch and a lower counter, or back to
  // an older epoch it was rotated away from. Every publish and read compares its answer
  // with what this node had seen of the answer's epoch before sending it (redisHighWater.ts)
  // and, on a step back, rotates the epoch and asks again, so an offset is never handed
  // out twice in one epoch after the loss is noticed.
  const marks = new HighWaterMarks();
  const rotate = (channel: string, stale: string, why: string): Promise<void> => {
    const k = channelKeys(prefix, channel);
    return guarded('rotate', async (redis) => {
      const fresh = newEpoch();
      if ((await redis.llRotate(k.epoch, k.seq, k.log, stale, fresh)) !== fresh) return; // another node did it
      onError(new Error(`redis broker: ${channel}: Redis lost acknowledged writes (${why}); epoch ${stale} replaced by ${fresh}, its retained messages dropped`));
    });
  };

  const readOnce = (channel: string, from: number, count: number, bytes: string[]): Promise<ReadResult> => {
    const k = channelKeys(prefix, channel);
    return guarded('read', async (redis) => {
      const [epoch, head, earliest, entries] = await redis.llRead(k.epoch, k.seq, k.log, newEpoch(), `${from + 1}-0`, String(count), idleTtl, ...bytes);
      return { epoch, head, earliest, messages: entries.map((e) => decodeEntry(channel, epoch, e)) };
    });
  };
  const read = async (channel: string, after: number, limit: number, maxBytes?: number): Promise<ReadResult> => {
    const from = Math.min(Math.max(0, Math.floor(after)), Number.MAX_SAFE_INTEGER - 1);
    const count = Math.min(Math.max(0, Math.floor(limit)), MAX_CATCH_UP_BATCH);
    // Passed only when it bounds anything: without it the script reads as it always did.
    const bytes = maxBytes !== undefined && Number.isFinite(maxBytes) ? [String(Math.max(1, Math.floor(maxBytes)))] : [];
    const before = marks.before(channel);
    let r = await readOnce(channel, from, count, bytes);
    const seen = HighWaterMarks.wentBack(before, r.epoch, r.head, false);
    if (seen !== undefined) {
      await rotate(channel, r.epoch, `head ${r.head} after offset ${seen} was seen`);
      r = await readOnce(channel, from, count, bytes);
    }
    marks.observe(channel, r.epoch, r.head);
    return r;
  };

  let retryTimer: unknown;
  const retryCallbacks: (() => void)[] = [];
  const subscriptions = new RedisSubscriptions(
    sub,
    () => {
      live.resync();
      presence.resync().catch((err: unknown) => onError(noteFailure('cmd', 'presence resync', toBrokerError(err, 'presence resync'))));
    },
    onError,
    {
      answered: () => availability.answered('sub', 'subscribe'),
      failed: (err) => void noteFailure('sub', 'subscribe', err),
    },
  );
  // A marker on a channel of this node's own, published once subscribed: one connection
  // receives messages in the order Redis ran the PUBLISHes, so every notification sent
  // before the marker has arrived when it does. Resolves early, not failing, when it cannot
  // tell (the connection drops, Redis does not answer within the command timeout): the
  // catch-up then calls the missing offsets lost, as it did before.
  const nodeId = randomBytes(6).toString('hex');
  let flushes = 0;
  const flushNotifications = async (): Promise<void> => {
    if (closed) return;
    const name = `${prefix}flush:${nodeId}:${++flushes}`;
    let arrived = (): void => undefined;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const timer = clock.setTimeout(arrived, Math.min(commandTimeoutMs, MAX_TIMER_MS));
    sub.once('close', arrived);
    try {
      await subscriptions.add(name, arrived);
      await guarded('flush', (redis) => redis.publish(name, ''));
      await done;
    } catch {
      // Unknown: the caller goes on with what it has.
    } finally {
      clock.clearTimeout(timer);
      sub.off('close', arrived);
      await subscriptions.remove(name);
    }
  };
  const live = new RedisLiveFeed({
    subscriptions,
    feedName: (channel) => channelKeys(prefix, channel).feed,
    flush: flushNotifications,
    read,
    observe: (channel, epoch, offset) => marks.observe(channel, epoch, offset),
    rotate: (channel, stale) => rotate(channel, stale, 'a live notification went back to an offset already notified'),
    catchUpBatch,
    retryLater: (fn) => {
      // A catch-up that fails because close() cut its connection must not arm a timer
      // that keeps the process alive after close.
      if (closed) return;
      retryCallbacks.push(fn);
      retryTimer ??= clock.setTimeout(() => {
        retryTimer = undefined;
        for (const f of retryCallbacks.splice(0)) f();
      }, 500);
    },
    onError,
  });
  const presence = new RedisPresence({
    redis: ready,
    subscriptions,
    prefix,
    now: () => clock.now(),
    keyGraceMs: PRESENCE_KEY_GRACE_MS,
    sweepEveryMs: presenceSweepMs,
    setTimer: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimer: (h) => clock.clearTimeout(h),
    onError,
    onRedisError: (err) => onError(noteFailure('cmd', 'presence sweep', toBrokerError(err, 'presence sweep'))),
  });
  // A feed whose catch-up failed while only the command connection was down resumes here.
  cmd.on('ready', () => live.resync());

  const subReady = async (): Promise<void> => {
    if (closed) throw new BrokerUnavailableError('redis broker: closed');
    await subGate.wait(readyTimeoutMs).catch((err: unknown) => {
      throw noteFailure('sub', 'subscribe', toBrokerError(err, 'subscribe'));
    });
  };

  // An idle pub/sub connection sends nothing, so a half-open one went unnoticed: listeners
  // got no message, no gap, no error. While the node has live subscriptions both
  // connections are PINGed every `livenessMs` (the command one too: a feed catches up
  // through it, and a listening node may publish nothing). An unanswered PING begins a
  // stall and replaces the connection (pingOrReplace). A node without subscriptions still
  // sends nothing: its first call finds a dead link (a timeout, then the stall probe).
  const livenessMs = Math.min(commandTimeoutMs, LIVENESS_PING_MAX_MS);
  let livenessTimer: unknown;
  const pinging = new Set<Role>();
  const checkLiveness = (): void => {
    livenessTimer = undefined;
    if (closed || subscriptions.size === 0) return;
    for (const role of ['cmd', 'sub'] as const) {
      // One PING in flight per connection (with `commandTimeoutMs: Infinity` it may never end).
      if (pinging.has(role) || conn(role).status !== 'ready') continue;
      pinging.add(role);
      const sentAt = clock.now();
      pingOrReplace(role).then(
        () => availability.answered(role, 'ping'),
        (err: unknown) => void noteFailure(role, 'ping', isTimeout(err)
          ? new BrokerUnavailableError(`redis broker: ${ROLE_NAMES[role]} connection answered no PING within ${commandTimeoutMs} ms; reconnecting`, { cause: err })
          : toBrokerError(err, 'ping'), sentAt),
      ).finally(() => pinging.delete(role));
    }
    armLiveness();
  };
  const armLiveness = (): void => {
    if (closed || livenessTimer !== undefined || subscriptions.size === 0) return;
    livenessTimer = clock.setTimeout(checkLiveness, livenessMs);
  };

  return {
    async publish(channel: string, data: unknown, id?: string, user?: string): Promise<PublishResult> {
      // Redis stores the id as UTF-8, where every lone surrogate becomes U+FFFD: two
      // different ids would share one dedupe key (the second acked, never stored).
      if (id !== undefined && !wellFormed(id)) throw new TypeError('redis broker: the publish id is not well-formed Unicode');
      const json = encodeData(data);
      const k = channelKeys(prefix, channel);
      const once = () => guarded('publish', async (redis) => {
        const [offset, epoch, dup] = await redis.llPublishScoped(
          k.epoch, k.seq, k.log, ...dedupeKeysOf(k, id, user),
          newEpoch(), json, id ?? '', String(clock.now()), String(retention),
          options.approximateRetention ? '1' : '0', dedupeTtlMs === Infinity ? '' : String(dedupeTtlMs), k.feed,
          user === undefined ? '' : JSON.stringify(user),
        );
        return { offset, epoch, duplicate: dup === 1 };
      }, true);
      const before = marks.before(channel);
      let r = await once();
      const seen = r.duplicate ? undefined : HighWaterMarks.wentBack(before, r.epoch, r.offset, true);
      if (seen !== undefined) {
        // Stored at an offset that already named another message: that copy goes with the
        // rotation, and the publish is stored again (same id) in the new epoch.
        await rotate(channel, r.epoch, `publish got offset ${r.offset} after offset ${seen} was seen`);
        r = await once();
      }
      if (!r.duplicate) marks.observe(channel, r.epoch, r.offset);
      return r;
    },
    async position(channel: string): Promise<Position> {
      const r = await read(channel, Number.MAX_SAFE_INTEGER - 1, 0);
      return { offset: r.head, epoch: r.epoch };
    },
    read,
    async onMessage(channel, listener) {
      await subReady().catch((err: unknown) => { throw toBrokerError(err, 'subscribe'); });
      const detach = await live.attach(channel, listener);
      armLiveness();
      return detach;
    },
    async presenceSet(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      if ((await guarded('presenceSet', () => presence.set(channel, entry, ttl))) === 'taken') throw taken(channel, entry);
    },
    async presenceSetBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined> {
      if (!(maxMembers >= 0)) throw new RangeError(`redis broker: presenceSetBounded needs maxMembers >= 0, got ${String(maxMembers)}`);
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      const outcome = await guarded('presenceSet', () => presence.set(channel, entry, ttl, false, maxMembers));
      if (outcome === 'taken') throw taken(channel, entry);
      return outcome === 'stored' ? undefined : outcome.full;
    },
    async presenceRefresh(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      if ((await guarded('presenceRefresh', () => presence.set(channel, entry, ttl, true))) === 'taken') throw taken(channel, entry);
    },
    async presenceRefreshBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined> {
      if (!(maxMembers >= 0)) throw new RangeError(`redis broker: presenceRefreshBounded needs maxMembers >= 0, got ${String(maxMembers)}`);
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      const outcome = await guarded('presenceRefresh', () => presence.set(channel, entry, ttl, true, maxMembers));
      if (outcome === 'taken') throw taken(channel, entry);
      return outcome === 'stored' ? undefined : outcome.full;
    },
    async presenceHold(channel: string, clientId: string, connId: string, holdMs: number): Promise<void> {
      if (!(typeof holdMs === 'number' && holdMs > 0 && Number.isFinite(holdMs))) {
        throw new RangeError(`redis broker: presenceHold needs a positive finite holdMs, got ${String(holdMs)}`);
      }
      await guarded('presenceHold', () => presence.hold(channel, clientId, connId, holdMs));
    },
    presenceHolds: (channel, clientId) => guarded('presenceHolds', () => presence.holds(channel, clientId)),
    presenceCount: (channel, clientId) => guarded('presenceCount', () => presence.count(channel, clientId)),
    presenceRemove: (channel, clientId, connId) => guarded('presenceRemove', () => presence.remove(channel, clientId, connId)),
    presenceList: (channel) => guarded('presenceList', () => presence.list(channel)),
    async onPresence(channel, listener) {
      await subReady().catch((err: unknown) => { throw toBrokerError(err, 'subscribe'); });
      let unwatch: Awaited<ReturnType<typeof presence.watch>>;
      try {
        unwatch = await presence.watch(channel, listener);
      } catch (err) {
        throw toBrokerError(err, 'subscribe');
      }
      armLiveness();
      return unwatch;
    },
    sweepPresence: () => guarded('sweepPresence', () => presence.sweep()),
    onStatus: (listener: (change: BrokerStatusChange) => void) => availability.on(listener),
    async healthy(): Promise<boolean> {
      if (closed || cmd.status !== 'ready' || sub.status !== 'ready' || cmdGate.refused || subGate.refused) return false;
      // A stalled Redis must not stall /healthz for the whole command timeout.
      let timer: unknown;
      let onClosed = (): void => undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = clock.setTimeout(() => resolve(false), readyTimeoutMs);
        onClosed = () => resolve(false);
        onClose.add(onClosed);
      });
      // The PING itself (not the `late` bound, which only keeps /healthz quick) is evidence
      // for the status: one unanswered for PING_STALL_MS is a stall (one that times out
      // replaces the connection), one answered ends it.
      const sentAt = clock.now();
      const pong = pingOrReplace('cmd').then(
        (r) => {
          availability.answered('cmd', 'ping');
          return r === 'PONG';
        },
        (err: unknown) => {
          throw noteFailure('cmd', 'ping', toBrokerError(err, 'ping'), sentAt);
        },
      );
      pong.catch(() => undefined);
      try {
        return await Promise.race([pong, late]);
      } catch {
        return false;
      } finally {
        clock.clearTimeout(timer);
        onClose.delete(onClosed);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      cmdGate.close();
      subGate.close();
      for (const fn of [...onClose]) fn();
      onClose.clear();
      const down = (['cmd', 'sub'] as const).filter((role) => availability.isDown(role));
      availability.stop();
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      retryTimer = undefined;
      retryCallbacks.length = 0;
      if (livenessTimer !== undefined) clock.clearTimeout(livenessTimer);
      livenessTimer = undefined;
      for (const watch of pingWatch) clock.clearTimeout(watch);
      pingWatch.clear();
      presence.stop();
      live.detachAll();
      await Promise.all((['cmd', 'sub'] as const).map((role) =>
        down.includes(role) ? conn(role).disconnect() : quitWithin(conn(role), Math.min(commandTimeoutMs, CLOSE_QUIT_MAX_MS))));
    },
  };
}

/** The longest wait between liveness PINGs (shorter when `commandTimeoutMs` is). */
const LIVENESS_PING_MAX_MS = 5000;
/** The longest `close()` waits for a connection's QUIT before dropping it. */
const CLOSE_QUIT_MAX_MS = 1000;

/** ioredis's rejection of a command unanswered within `commandTimeout`. */
const isTimeout = (err: unknown): boolean => err instanceof Error && /^Command timed out/.test(err.message);

/**
 * QUIT (Redis answers the commands in flight first), but for `ms` at most: on a link that
 * died without a FIN (a partition) it was never answered, and close() waited the whole
 * command timeout per connection (a drained server exited 11.4 s after SIGTERM with a
 * 4 s drain). A real timer, not the broker's clock: close must end with a fake clock too.
 */
async function quitWithin(redis: Redis, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref?.();
  });
  const quit = redis.quit().then(() => 'quit' as const, () => 'failed' as const);
  const outcome = await Promise.race([quit, late]);
  clearTimeout(timer);
  if (outcome !== 'quit') redis.disconnect();
}

/**
 * Feeds a connection's drops and returns to the status. `close` too, not only `error`: a
 * connection Redis ends cleanly (CLIENT KILL, a restart's shutdown) emits no `error`.
 *
 * Redis refusing the configuration (credentials, database index) is not an outage: ioredis
 * retried a refused password for ever with a WARNING that read like a network problem,
 * and carried on in database 0 after a refused SELECT (an outage of 17 ms, then every
 * publish stored in the wrong database). The gate refuses every call with it, the status
 * stays unavailable with it as the reason, and `onError` gets it once.
 */
function watchAvailability(
  redis: Redis, role: Role, gate: ReadyGate, availability: RedisAvailability, url: string,
  onError: (err: Error) => void, closed: () => boolean,
): void {
  redis.on('error', (err: Error) => {
    if (closed()) return;
    const config = configErrorOf(err, url);
    if (config === undefined) return availability.connectionLost(role, err.message);
    gate.refuse(new BrokerUnavailableError(config.message, { cause: config }));
    availability.misconfigured(role, config.message, () => onError(config));
  });
  redis.on('close', () => {
    if (!closed()) availability.connectionLost(role, 'closed; reconnecting');
  });
  // A socket whose SELECT Redis refused is `ready` all the same (in database 0): not ours.
  redis.on('ready', () => {
    if (!gate.refused) availability.connectionReady(role);
  });
}

/**
 * Reports each outage once per connection to `onError` (ioredis emits an error per failed
 * reconnect attempt). The status (`onStatus`) says it once per outage, and its end.
 */
function reportOutages(redis: Redis, role: string, onError: (err: Error) => void, url: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    // A refused configuration is reported as such (watchAvailability).
    if (down || configErrorOf(err, url) !== undefined) return;
    down = true;
    onError(new BrokerUnavailableError(`redis broker: ${role} connection lost: ${err.message}`, { cause: err }));
  });
  redis.on('ready', () => {
    down = false;
  });
}
