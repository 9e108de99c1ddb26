import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { BrokerUnavailableError } from './redisErrors';
import type { BrokerClock } from './redisOptions';
import {
  PRESENCE_COUNT_LUA, PRESENCE_HOLD_LUA, PRESENCE_HOLDS_LUA, PRESENCE_LIST_LUA, PRESENCE_REMOVE_LUA, PRESENCE_SET_LUA, PUBLISH_LUA, READ_LUA, ROTATE_LUA,
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
  redis.defineCommand('llPresenceHold', { numberOfKeys: 4, lua: PRESENCE_HOLD_LUA });
  redis.defineCommand('llPresenceHolds', { numberOfKeys: 4, lua: PRESENCE_HOLDS_LUA });
  redis.defineCommand('llPresenceCount', { numberOfKeys: 4, lua: PRESENCE_COUNT_LUA });
  return redis;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: unknown;
}

/**
 * Waits for one connection to be ready, for any number of callers at once, with one
 * `ready` and one `end` listener on the connection for its whole life. (A listener pair,
 * and an abort listener, per waiting call made Node print MaxListenersExceededWarning on
 * every reconnect under load, as soon as 11 calls were waiting: a leak to the eye of
 * whoever reads the outage's log, and a line out of the server's log format.)
 */
export class ReadyGate {
  private readonly waiting = new Set<Waiter>();
  private closed = false;
  /** Why the connection must not be used (Redis refused its configuration), until a good `ready`. */
  private refusal: Error | undefined;
  /** The current socket itself was refused (a failed SELECT, whose `ready` follows all the same). */
  private socketRefused = false;

  constructor(private readonly redis: Redis, private readonly clock: BrokerClock) {
    redis.on('ready', () => {
      if (this.socketRefused) return this.settle(this.refusal);
      this.refusal = undefined;
      this.settle();
    });
    redis.on('close', () => void (this.socketRefused = false));
    redis.on('end', () => this.settle(new BrokerUnavailableError('redis broker: connection ended')));
  }

  /**
   * Redis refused this connection's configuration (`err` says how): waiters reject with
   * `err` now, and so does every wait until a later socket is ready without a refusal.
   * ioredis makes a connection whose SELECT failed `ready` in database 0: that one is
   * never let through.
   */
  refuse(err: Error): void {
    this.refusal = err;
    this.socketRefused = true;
    this.settle(err);
  }

  /** Redis refused the configuration and no socket has been ready without a refusal since. */
  get refused(): boolean {
    return this.refusal !== undefined;
  }

  /**
   * Resolves when the connection is ready; rejects after `timeoutMs`, or at once once it
   * has ended or {@link close} was called. (A connection closed while reconnecting never
   * emits 'end', so without `close` a waiter, and its timer, outlived the broker.)
   */
  wait(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerUnavailableError('redis broker: closed'));
    if (this.refusal) return Promise.reject(this.refusal);
    if (this.redis.status === 'ready') return Promise.resolve();
    if (this.redis.status === 'end') return Promise.reject(new BrokerUnavailableError('redis broker: closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => {
        this.waiting.delete(waiter);
        reject(new BrokerUnavailableError(`redis broker: Redis not reachable within ${timeoutMs} ms (${this.redis.status})`));
      }, timeoutMs);
      this.waiting.add(waiter);
    });
  }

  /** Every waiter rejects now, and later calls at once; no timer is left armed. */
  close(): void {
    this.closed = true;
    this.settle(new BrokerUnavailableError('redis broker: closed'));
  }

  private settle(err?: Error): void {
    const waiters = [...this.waiting];
    this.waiting.clear();
    for (const w of waiters) {
      this.clock.clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve();
    }
  }
}
