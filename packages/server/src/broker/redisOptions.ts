import type { RedisOptions } from 'ioredis';
import { MAX_TIMER_MS, systemClock } from '../clock';
import { checkNumeric, COUNT_RULE, type NumericRule } from './numericOption';
import { checkKnownKeys } from './optionKeys';

/** Time source and timers of the Redis broker (inject a fake one in tests). */
export interface BrokerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Options of {@link redisBroker}. Every field is optional (`undefined` = left out); a key
 * that is not one of these throws a TypeError naming the closest one (`keyprefix` shared
 * the default `lifeline:` keys with every other app on the database). ioredis' own options
 * go in `redisOptions`.
 */
export interface RedisBrokerOptions {
  /**
   * Redis URL (`redis://[user:pass@]host:port[/db]`, `rediss://` for TLS).
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * Prefix of every key and pub/sub channel this broker uses. Nodes sharing channels
   * must use the same prefix.
   * @default 'lifeline:'
   */
  keyPrefix?: string | undefined;
  /**
   * Messages retained per channel (stream MAXLEN). Older ones fall out of retention.
   * An integer from 1 to `Number.MAX_SAFE_INTEGER`; others throw a RangeError.
   * @default 1000
   */
  retention?: number | undefined;
  /**
   * Trim with `MAXLEN ~`: cheaper for Redis, but a stream may keep somewhat more than
   * `retention` entries (Redis trims whole radix-tree nodes, 100 entries by default).
   * @default false
   */
  approximateRetention?: boolean | undefined;
  /**
   * How long a publish id is remembered for idempotency (a key per id with this TTL):
   * an integer from 1 to `Number.MAX_SAFE_INTEGER`, or `Infinity` to keep every id's key
   * without expiry (budget the memory: one key per published id, forever). `0`, fractions
   * and larger numbers throw a RangeError.
   * @default 600000
   */
  dedupeTtlMs?: number | undefined;
  /**
   * How long the epoch and counter keys of a channel nothing was ever published on outlive
   * its last read (a subscribe or a history read), ms: an integer from 1 to
   * `Number.MAX_SAFE_INTEGER`, or `Infinity` to keep them for good (budget two keys per name
   * ever read). Every read refreshes it, so a name in use keeps its epoch; one unread that
   * long comes back with a new epoch and nothing lost (it had no history). The first publish
   * keeps a channel's keys for good, whatever this says.
   * @default 86400000 (a day)
   */
  idleChannelTtlMs?: number | undefined;
  /**
   * Presence TTL used when `presenceSet` (or `presenceRefresh`) is called with a `ttlMs`
   * that is not a positive number (an integer from 1 to `Number.MAX_SAFE_INTEGER`).
   * @default 30000
   */
  presenceTtlMs?: number | undefined;
  /**
   * How often a node checks the channels it watches for presence entries that may have
   * expired; it sweeps a channel (one script) only when its earliest entry's expiry has
   * passed or new entries arrived, so a crashed node's members leave even when nobody
   * else calls presence. A number >= 1 (`Infinity`: only presence calls sweep).
   * @default 2000
   */
  presenceSweepMs?: number | undefined;
  /**
   * How long a call waits for Redis to (re)connect before rejecting with
   * `BROKER_UNAVAILABLE`. A number >= 0 (`Infinity`: wait for as long as it takes).
   * @default 1000
   */
  readyTimeoutMs?: number | undefined;
  /**
   * A command without an answer after this long rejects with `BROKER_UNAVAILABLE`.
   * An integer from 1 to 2^31-1 (Node's longest timer), or `Infinity` for no command
   * timeout. A PING unanswered for 1 s begins a stall in `onStatus`; one without an answer
   * after this long replaces its connection (a half-open link); while the node has live
   * subscriptions both connections are PINGed every `min(commandTimeoutMs, 5000)` ms.
   * With `Infinity` a half-open connection waits for the kernel to notice (minutes to hours).
   * @default 5000
   */
  commandTimeoutMs?: number | undefined;
  /**
   * Delay before reconnect attempt `attempt` (1, 2, …).
   * @default (attempt) => Math.min(attempt * 100, 2000)
   */
  reconnectDelayMs?: ((attempt: number) => number) | undefined;
  /**
   * Messages fetched per XRANGE when a node catches up after a reconnect or a missed
   * notification: an integer from 1 to 100000.
   * @default 500
   */
  catchUpBatch?: number | undefined;
  /** @default wall clock with global timers */
  clock?: BrokerClock | undefined;
  /**
   * Makes a new epoch id.
   * @default () => 'e_' + 16 random hex characters (crypto)
   */
  newEpoch?: (() => string) | undefined;
  /**
   * Background problems: listener exceptions, reconnects, messages that fell out of
   * retention before a node could deliver them, and a `RedisConfigError` once when Redis
   * refuses the URL's credentials (`WRONGPASS`, `NOAUTH`) or database (`SELECT`): the
   * broker then stays unavailable (never serves from database 0) until a reconnect is
   * accepted.
   * @default (err) => console.error(err)
   */
  onError?: ((err: Error) => void) | undefined;
  /**
   * Extra ioredis options (TLS, password, db, …); the broker's own connection settings win.
   * `connectionName` becomes a prefix: the node's connections are `<name>:cmd` and `<name>:sub`.
   */
  redisOptions?: RedisOptions | undefined;
}

export const REDIS_BROKER_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'lifeline:',
  retention: 1000,
  approximateRetention: false,
  dedupeTtlMs: 600_000,
  idleChannelTtlMs: 86_400_000,
  presenceTtlMs: 30_000,
  presenceSweepMs: 2000,
  readyTimeoutMs: 1000,
  commandTimeoutMs: 5000,
  catchUpBatch: 500,
} as const;

/** Every key of RedisBrokerOptions (tsc fails when the interface gains one this lacks). */
const REDIS_BROKER_OPTION_KEYS: readonly string[] = Object.keys({
  url: true,
  keyPrefix: true,
  retention: true,
  approximateRetention: true,
  dedupeTtlMs: true,
  idleChannelTtlMs: true,
  presenceTtlMs: true,
  presenceSweepMs: true,
  readyTimeoutMs: true,
  commandTimeoutMs: true,
  reconnectDelayMs: true,
  catchUpBatch: true,
  clock: true,
  newEpoch: true,
  onError: true,
  redisOptions: true,
} as const satisfies Record<keyof RedisBrokerOptions, true>);

/** Largest `catchUpBatch` (one read returns at most this many messages). */
export const MAX_CATCH_UP_BATCH = 100_000;

type NumericOption = 'retention' | 'dedupeTtlMs' | 'idleChannelTtlMs' | 'presenceTtlMs' | 'presenceSweepMs' | 'readyTimeoutMs' | 'commandTimeoutMs' | 'catchUpBatch';
/** What each numeric option accepts. */
const NUMERIC_RULES: Record<NumericOption, NumericRule> = {
  // Past 2^53 a number's decimal form is no longer an exact integer: the publish script
  // refused every publish ("bad maxLen", "bad dedupe TTL"), PEXPIRE every presence call.
  retention: COUNT_RULE,
  dedupeTtlMs: { min: 1, integer: true, infinite: true, max: Number.MAX_SAFE_INTEGER },
  idleChannelTtlMs: { min: 1, integer: true, infinite: true, max: Number.MAX_SAFE_INTEGER },
  presenceTtlMs: { min: 1, integer: true, infinite: false, max: Number.MAX_SAFE_INTEGER },
  presenceSweepMs: { min: 1, integer: false, infinite: true },
  readyTimeoutMs: { min: 0, integer: false, infinite: true },
  // ioredis arms it as a Node timer, which runs a longer delay after 1 ms: every command timed out.
  commandTimeoutMs: { min: 1, integer: true, infinite: true, max: MAX_TIMER_MS },
  catchUpBatch: { min: 1, integer: true, infinite: false, max: MAX_CATCH_UP_BATCH },
};

/**
 * The numeric options with their defaults applied, checked up front: a value Redis or
 * the broker cannot use (`dedupeTtlMs: 0` made every publish fail after storing it,
 * `catchUpBatch: 0.5` lost messages, `retention: 1e20` every publish) throws a RangeError
 * from `redisBroker()`. First of all, before any connection opens, a key that is not an
 * option throws a TypeError.
 */
export function numericOptions(options: RedisBrokerOptions): Record<NumericOption, number> {
  // ioredis' own options (`lazyConnect`, `password`, `tls`) were accepted here and did nothing.
  checkKnownKeys('redis broker', options, REDIS_BROKER_OPTION_KEYS, "ioredis' own options go in redisOptions");
  const out = {} as Record<NumericOption, number>;
  for (const [name, rule] of Object.entries(NUMERIC_RULES) as [NumericOption, (typeof NUMERIC_RULES)[NumericOption]][]) {
    out[name] = checkNumeric('redis broker', name, options[name] ?? REDIS_BROKER_DEFAULTS[name], rule);
  }
  return out;
}

/** Presence keys outlive the newest entry by this much, then Redis drops abandoned channels. */
export const PRESENCE_KEY_GRACE_MS = 60_000;

/** The server's clock (capped at 2^31-1 ms: Node runs a longer delay, `readyTimeoutMs: Infinity`, after 1 ms). */
export const wallClock: BrokerClock = systemClock;
