/**
 * Thrown (as a rejected promise) by every Redis broker method when Redis does not
 * answer: not connected, restarting, timed out, or refusing writes. The server maps it
 * to the `BROKER_UNAVAILABLE` error frame / HTTP 503.
 *
 * Usually nothing was stored (the command was never sent, or Redis refused it). When a
 * write was sent and its answer did not come (`commandTimeoutMs` passed, or the
 * connection dropped while it was in flight), it may have been applied all the same:
 * {@link BrokerUnavailableError.maybeStored} is then `true`. Either way a publish is
 * safe to re-send with the same id (the dedupe key stores it once).
 */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  readonly code = 'BROKER_UNAVAILABLE' as const;
  /**
   * `true` when the failed call was a write that may have landed (sent, then no answer):
   * its outcome is unknown. `false` when it was not applied.
   * @default false
   */
  readonly maybeStored: boolean;
  constructor(message: string, options?: { cause?: unknown; maybeStored?: boolean }) {
    super(message, options);
    this.maybeStored = options?.maybeStored === true;
  }
}

/** Type guard that also accepts any error carrying `code: 'BROKER_UNAVAILABLE'`. */
export function isBrokerUnavailable(err: unknown): err is { code: 'BROKER_UNAVAILABLE'; message: string; maybeStored?: boolean } {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'BROKER_UNAVAILABLE';
}

/**
 * `true` for a `BROKER_UNAVAILABLE` failure of a write whose outcome is unknown (it may
 * have been stored). A broker that does not say (`maybeStored` absent) promises nothing
 * was stored, as the Broker contract had it before this flag.
 */
export function maybeStored(err: unknown): boolean {
  return isBrokerUnavailable(err) && err.maybeStored === true;
}

/** `true` when `err` (or its cause) is a Redis reply: Redis answered, refusing the command. */
export function isRedisReply(err: unknown): boolean {
  const e = err as { name?: unknown; cause?: { name?: unknown } } | null;
  return e?.name === 'ReplyError' || e?.cause?.name === 'ReplyError';
}

/** ioredis's rejection of a command it did not send (the connection is not writable, no offline queue). */
const NOT_SENT = /^Stream isn't writeable/;

// Reply errors that mean "Redis cannot serve now", not "our command is wrong".
const UNAVAILABLE_REPLIES = /^(OOM|LOADING|READONLY|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF)\b/;

/**
 * Maps a failure of an ioredis call to what callers should see: connection-level
 * failures become {@link BrokerUnavailableError}; a script or argument bug stays
 * as it is (the server reports it as `INTERNAL`).
 *
 * `write`: the call was a write. Unless Redis refused it (a reply) or ioredis never sent
 * it, it may have been applied before the answer was lost (a timeout, or the socket
 * dropping with the command in flight), so the error says `maybeStored`.
 */
export function toBrokerError(err: unknown, what: string, write = false): Error {
  if (err instanceof BrokerUnavailableError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const isReply = e.name === 'ReplyError';
  if (isReply && !UNAVAILABLE_REPLIES.test(e.message)) return e;
  const unknownOutcome = write && !isReply && !NOT_SENT.test(e.message);
  const message = `redis broker: ${what} failed: ${e.message}${unknownOutcome ? ' (it may have been applied)' : ''}`;
  return new BrokerUnavailableError(message, { cause: e, maybeStored: unknownOutcome });
}

/**
 * Redis refused the broker's configuration: the credentials (`WRONGPASS`, `NOAUTH`) or the
 * database index of its URL. Given to `onError` once when first seen (not per reconnect
 * attempt); meanwhile the broker stays unavailable. Not a `BROKER_UNAVAILABLE` error: the
 * server logs it as an `ERROR` line, since waiting will not fix it.
 */
export class RedisConfigError extends Error {
  override readonly name = 'RedisConfigError';
}

// ioredis emits these as connection errors and retries for ever (credentials), or carries
// on in database 0 (SELECT).
const AUTH_REFUSED = /^(?:Ready check failed: )?(WRONGPASS|NOAUTH|ERR invalid (?:username-)?password)/;

/** `url` with its password, if any, replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/**
 * The configuration error `err` (an ioredis connection error) stands for, or `undefined`
 * when it is an outage (a refused or dropped connection, a timeout…). `url` is named in
 * the message, its password redacted.
 */
export function configErrorOf(err: unknown, url: string): RedisConfigError | undefined {
  if (!isRedisReply(err)) return undefined;
  const e = err as Error & { command?: { name?: string; args?: unknown[] } };
  const where = redactUrl(url);
  if (e.command?.name === 'select') {
    const db = String(e.command.args?.[0] ?? '?');
    return new RedisConfigError(
      `redis broker: Redis refused database ${db} (SELECT ${db}) of the broker URL ${where}: ${e.message}; `
      + `the broker stays unavailable rather than use database 0: check the URL's /db (Redis's 'databases' setting bounds it; Redis Cluster has database 0 only)`,
      { cause: err },
    );
  }
  const auth = AUTH_REFUSED.exec(e.message);
  if (auth) {
    const what = auth[1] === 'NOAUTH' ? 'Redis requires credentials the broker URL does not give' : 'Redis refused the credentials in the broker URL';
    return new RedisConfigError(`redis broker: ${what} (${where}); check user/password: ${e.message}`, { cause: err });
  }
  return undefined;
}
