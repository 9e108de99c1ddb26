import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { BrokerUnavailableError } from './redisErrors';
import type { BrokerClock } from './redisOptions';
import {
  PRESENCE_LIST_LUA, PRESENCE_REMOVE_LUA, PRESENCE_SET_LUA, PUBLISH_LUA, READ_LUA, ROTATE_LUA,
} from './redisScripts';

/** The broker's scripts as ioredis commands (EVALSHA with automatic script loading). */
export interface LogCommands {
  llPublish(...args: string[]): Promise<[number, string, number]>;
  llRead(...args: string[]): Promise<[string, number, number, [string, string[]][]]>;
  llRotate(...args: string[]): Promise<string>;
}

export interface ConnectionSettings {
  url: string;
  commandTimeoutMs: number;
  reconnectDelayMs: (attempt: number) => number;
  extra?: RedisOptions;
}

/**
 * Opens one of the broker's two connections. Both fail fast instead of queueing:
 * a command issued while Redis is away, or in flight when the socket drops, is
 * rejected (never silently re-sent later), so callers can answer BROKER_UNAVAILABLE
 * and clients re-send with the same idempotency id.
 */
export function openConnection(s: ConnectionSettings, role: 'cmd' | 'sub'): Redis {
  const redis = new Redis(s.url, {
    ...s.extra,
    // CLIENT LIST shows `<connectionName>:cmd` and `<connectionName>:sub` for each node.
    connectionName: `${s.extra?.connectionName ?? 'lifeline-broker'}:${role}`,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    maxRetriesPerRequest: 0,
    // Infinity: no timeout (ioredis would arm setTimeout(Infinity), which Node runs after 1 ms).
    commandTimeout: s.commandTimeoutMs === Infinity ? undefined : s.commandTimeoutMs,
    retryStrategy: (attempt) => s.reconnectDelayMs(attempt),
    // disconnect() ends the socket and destroys it if it is still open after this long.
    // Closed while reconnecting, the socket is already gone and never reports 'close', so
    // ioredis's default (2000 ms) kept the process alive for 2 s after close().
    disconnectTimeout: 0,
  });
  redis.defineCommand('llPublish', { numberOfKeys: 4, lua: PUBLISH_LUA });
  redis.defineCommand('llRead', { numberOfKeys: 3, lua: READ_LUA });
  redis.defineCommand('llRotate', { numberOfKeys: 3, lua: ROTATE_LUA });
  redis.defineCommand('llPresenceSet', { numberOfKeys: 4, lua: PRESENCE_SET_LUA });
  redis.defineCommand('llPresenceRemove', { numberOfKeys: 4, lua: PRESENCE_REMOVE_LUA });
  redis.defineCommand('llPresenceList', { numberOfKeys: 4, lua: PRESENCE_LIST_LUA });
  return redis;
}

/**
 * Resolves when `redis` is ready; rejects after `timeoutMs`, or at once once it has ended
 * or `closed` is aborted. (A connection closed while reconnecting never emits 'end', so
 * without `closed` a waiter, and its timer, outlived the broker by `timeoutMs`.)
 */
export function whenReady(redis: Redis, timeoutMs: number, clock: BrokerClock, closed?: AbortSignal): Promise<void> {
  if (closed?.aborted) return Promise.reject(new BrokerUnavailableError('redis broker: closed'));
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new BrokerUnavailableError('redis broker: closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clock.clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      closed?.removeEventListener('abort', onClosed);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new BrokerUnavailableError('redis broker: connection ended'));
    const onClosed = () => done(new BrokerUnavailableError('redis broker: closed'));
    const timer = clock.setTimeout(
      () => done(new BrokerUnavailableError(`redis broker: Redis not reachable within ${timeoutMs} ms (${redis.status})`)),
      timeoutMs,
    );
    redis.once('ready', onReady);
    redis.once('end', onEnd);
    closed?.addEventListener('abort', onClosed, { once: true });
  });
}
