import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Position } from '@lifeline/core/protocol';
import { decodeEntry, encodeData } from './redisCodec';
import { wellFormed } from '../wireValues';
import { openConnection, whenReady, type LogCommands } from './redisConnection';
import { RedisAvailability, type Role } from './redisAvailability';
import { BrokerUnavailableError, isBrokerUnavailable, toBrokerError } from './redisErrors';
import { channelKeys } from './redisKeys';
import { HighWaterMarks } from './redisHighWater';
import { RedisLiveFeed } from './redisLiveFeed';
import { MAX_CATCH_UP_BATCH, numericOptions, PRESENCE_KEY_GRACE_MS, REDIS_BROKER_DEFAULTS as D, wallClock, type RedisBrokerOptions } from './redisOptions';
import { RedisPresence, type PresenceCommands } from './redisPresence';
import { RedisSubscriptions } from './redisSubscriptions';
import type { Broker, BrokerStatusChange, PresenceEntry, PublishResult, ReadResult } from './types';

export { BrokerUnavailableError, isBrokerUnavailable, maybeStored } from './redisErrors';
export type { BrokerClock, RedisBrokerOptions } from './redisOptions';
export { REDIS_BROKER_DEFAULTS } from './redisOptions';

/** A {@link Broker} backed by Redis, plus Redis-specific extras. */
export interface RedisBroker extends Broker {
  presenceRefresh(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void>;
  /** Sweeps expired presence entries of the channels this node watches, now (normally done on its own when due). */
  sweepPresence(): Promise<void>;
  /**
   * Outages and stalls, edge-triggered (see {@link Broker.onStatus}): a dropped
   * connection, commands unanswered within `commandTimeoutMs` (or no connection within
   * `readyTimeoutMs`), or "unavailable" replies (OOM, READONLY, LOADING…) begin one; every
   * cause cleared (connections ready, Redis answering again, PINGed every second during a
   * stall) ends it. Connection losses also still reach `onError`, once per connection.
   */
  onStatus(listener: (change: BrokerStatusChange) => void): () => void;
}

type Commands = Redis & LogCommands & PresenceCommands;

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
 * @example
 * const server = await createServer({ port: 8080, broker: redisBroker({ url: 'redis://10.0.0.5:6379' }) });
 */
export function redisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  const prefix = options.keyPrefix ?? D.keyPrefix;
  const { retention, readyTimeoutMs, dedupeTtlMs, presenceTtlMs, presenceSweepMs, commandTimeoutMs, catchUpBatch } = numericOptions(options);
  const clock = options.clock ?? wallClock;
  const newEpoch = options.newEpoch ?? (() => `e_${randomBytes(8).toString('hex')}`);
  const onError = options.onError ?? ((err: Error) => console.error(err));
  const settings = {
    url: options.url ?? D.url,
    commandTimeoutMs,
    reconnectDelayMs: options.reconnectDelayMs ?? ((attempt: number) => Math.min(attempt * 100, 2000)),
    extra: options.redisOptions,
  };

  const cmd = openConnection(settings, 'cmd') as Commands;
  const sub = openConnection(settings, 'sub');
  let closed = false;
  // Ends every wait for a connection at close (one closed while reconnecting never emits 'end').
  const closing = new AbortController();
  reportOutages(cmd, 'commands', onError);
  reportOutages(sub, 'pub/sub', onError);
  const availability = new RedisAvailability({
    clock,
    ping: (role) => (role === 'cmd' ? cmd : sub).ping(),
    onError,
  });
  watchAvailability(cmd, 'cmd', availability, () => closed);
  watchAvailability(sub, 'sub', availability, () => closed);
  /** Records a failed call for the status (a bug's error is not an outage). */
  const noteFailure = (role: Role, what: string, err: Error): Error => {
    if (!closed && isBrokerUnavailable(err)) availability.failed(role, what, err);
    return err;
  };

  /** The command connection, once ready (waits up to `readyTimeoutMs` across a reconnect). */
  const ready = async (): Promise<Commands> => {
    if (closed) throw new BrokerUnavailableError('redis broker: closed');
    await whenReady(cmd, readyTimeoutMs, clock, closing.signal);
    return cmd;
  };
  /** `write`: a failure after the command was sent leaves its outcome unknown (`maybeStored`). */
  const guarded = async <T>(what: string, fn: (redis: Commands) => Promise<T>, write = false): Promise<T> => {
    let redis: Commands;
    try {
      redis = await ready();
    } catch (err) {
      throw noteFailure('cmd', what, toBrokerError(err, what));
    }
    try {
      const result = await fn(redis);
      availability.answered('cmd', what);
      return result;
    } catch (err) {
      throw noteFailure('cmd', what, toBrokerError(err, what, write));
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

  const readOnce = (channel: string, from: number, count: number): Promise<ReadResult> => {
    const k = channelKeys(prefix, channel);
    return guarded('read', async (redis) => {
      const [epoch, head, earliest, entries] = await redis.llRead(k.epoch, k.seq, k.log, newEpoch(), `${from + 1}-0`, String(count));
      return { epoch, head, earliest, messages: entries.map((e) => decodeEntry(channel, epoch, e)) };
    });
  };
  const read = async (channel: string, after: number, limit: number): Promise<ReadResult> => {
    const from = Math.min(Math.max(0, Math.floor(after)), Number.MAX_SAFE_INTEGER - 1);
    const count = Math.min(Math.max(0, Math.floor(limit)), MAX_CATCH_UP_BATCH);
    const before = marks.before(channel);
    let r = await readOnce(channel, from, count);
    const seen = HighWaterMarks.wentBack(before, r.epoch, r.head, false);
    if (seen !== undefined) {
      await rotate(channel, r.epoch, `head ${r.head} after offset ${seen} was seen`);
      r = await readOnce(channel, from, count);
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
  const live = new RedisLiveFeed({
    subscriptions,
    feedName: (channel) => channelKeys(prefix, channel).feed,
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
    await whenReady(sub, readyTimeoutMs, clock, closing.signal).catch((err: unknown) => {
      throw noteFailure('sub', 'subscribe', toBrokerError(err, 'subscribe'));
    });
  };

  return {
    async publish(channel: string, data: unknown, id?: string, user?: string): Promise<PublishResult> {
      // Redis stores the id as UTF-8, where every lone surrogate becomes U+FFFD: two
      // different ids would share one dedupe key (the second acked, never stored).
      if (id !== undefined && !wellFormed(id)) throw new TypeError('redis broker: the publish id is not well-formed Unicode');
      const json = encodeData(data);
      const k = channelKeys(prefix, channel);
      const once = () => guarded('publish', async (redis) => {
        const [offset, epoch, dup] = await redis.llPublish(
          k.epoch, k.seq, k.log, `${k.dedupe}${id ?? ''}`,
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
      return live.attach(channel, listener);
    },
    async presenceSet(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      await guarded('presenceSet', () => presence.set(channel, entry, ttl));
    },
    async presenceRefresh(channel: string, entry: PresenceEntry, ttlMs: number): Promise<void> {
      const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : presenceTtlMs;
      await guarded('presenceRefresh', () => presence.set(channel, entry, ttl, true));
    },
    presenceRemove: (channel, clientId, connId) => guarded('presenceRemove', () => presence.remove(channel, clientId, connId)),
    presenceList: (channel) => guarded('presenceList', () => presence.list(channel)),
    async onPresence(channel, listener) {
      await subReady().catch((err: unknown) => { throw toBrokerError(err, 'subscribe'); });
      try {
        return await presence.watch(channel, listener);
      } catch (err) {
        throw toBrokerError(err, 'subscribe');
      }
    },
    sweepPresence: () => guarded('sweepPresence', () => presence.sweep()),
    onStatus: (listener: (change: BrokerStatusChange) => void) => availability.on(listener),
    async healthy(): Promise<boolean> {
      if (closed || cmd.status !== 'ready' || sub.status !== 'ready') return false;
      // A stalled Redis must not stall /healthz for the whole command timeout.
      let timer: unknown;
      let onClosed = (): void => undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = clock.setTimeout(() => resolve(false), readyTimeoutMs);
        onClosed = () => resolve(false);
        closing.signal.addEventListener('abort', onClosed, { once: true });
      });
      // The PING itself (not the `late` bound, which only keeps /healthz quick) is evidence
      // for the status: one that times out is a stall, one answered ends it.
      const pong = cmd.ping().then(
        (r) => {
          availability.answered('cmd', 'ping');
          return r === 'PONG';
        },
        (err: unknown) => {
          throw noteFailure('cmd', 'ping', toBrokerError(err, 'ping'));
        },
      );
      pong.catch(() => undefined);
      try {
        return await Promise.race([pong, late]);
      } catch {
        return false;
      } finally {
        clock.clearTimeout(timer);
        closing.signal.removeEventListener('abort', onClosed);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      closing.abort();
      availability.stop();
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      retryTimer = undefined;
      retryCallbacks.length = 0;
      presence.stop();
      live.detachAll();
      await Promise.all([cmd, sub].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * Feeds a connection's drops and returns to the status. `close` too, not only `error`: a
 * connection Redis ends cleanly (CLIENT KILL, a restart's shutdown) emits no `error`.
 */
function watchAvailability(redis: Redis, role: Role, availability: RedisAvailability, closed: () => boolean): void {
  redis.on('error', (err: Error) => {
    if (!closed()) availability.connectionLost(role, err.message);
  });
  redis.on('close', () => {
    if (!closed()) availability.connectionLost(role, 'closed; reconnecting');
  });
  redis.on('ready', () => availability.connectionReady(role));
}

/**
 * Reports each outage once per connection to `onError` (ioredis emits an error per failed
 * reconnect attempt). The status (`onStatus`) says it once per outage, and its end.
 */
function reportOutages(redis: Redis, role: string, onError: (err: Error) => void): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    onError(new BrokerUnavailableError(`redis broker: ${role} connection lost: ${err.message}`, { cause: err }));
  });
  redis.on('ready', () => {
    down = false;
  });
}
