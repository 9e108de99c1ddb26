import { isRedisReply } from './redisErrors';
import type { BrokerClock } from './redisOptions';
import type { BrokerStatusChange } from './types';

/** The broker's two connections. */
export type Role = 'cmd' | 'sub';

export const ROLE_NAMES: Record<Role, string> = { cmd: 'commands', sub: 'pub/sub' };

/**
 * While a connection's commands go unanswered it is pinged this often, so that the end of
 * a stall is noticed (and reported) on an idle node too, not only by the next client call.
 */
export const STALL_PROBE_MS = 1000;

/**
 * A PING (a `/healthz` check, the liveness PING, the stall probe) unanswered this long is
 * evidence of a stall, long before `commandTimeoutMs` (5 s) drops it: `/healthz` has
 * answered 503 after `readyTimeoutMs` (1 s) by then, and the log should say so too.
 */
export const PING_STALL_MS = 1000;

export interface AvailabilityDeps {
  clock: BrokerClock;
  /**
   * PING on one of the connections (rejects when it is not connected or times out). The
   * broker's drops a connection whose PING timed out, so the probe replaces a half-open
   * socket instead of PINGing it for as long as the kernel keeps it.
   */
  ping(role: Role): Promise<unknown>;
  /** A status listener that threw. */
  onError(err: Error): void;
}

type Listener = (change: BrokerStatusChange) => void;

/**
 * Whether the Redis broker can serve, edge-triggered for operators: one `available:
 * false` change when the first cause of an outage appears, one `available: true` when
 * the last one has cleared, however many calls failed in between (an outage used to be
 * reported per Redis connection at best, a stall not at all, a recovery never).
 *
 * Causes, each cleared by its own evidence:
 * - Redis refused a connection's configuration (credentials, database index): until a
 *   socket of that connection is ready without a refusal (the reason given first, since
 *   waiting will not end it);
 * - a connection dropped or failed to connect: until its next `ready`;
 * - a command on a connection got no answer in time, a PING none within
 *   {@link PING_STALL_MS} (or the connection was not ready within `readyTimeoutMs`):
 *   until that connection answers anything (a call, a `/healthz` PING, or the probe
 *   every {@link STALL_PROBE_MS}), or is ready again after a reconnect (a probe that
 *   times out has the connection replaced: see `ping`). It is counted from when the
 *   first unanswered call was sent;
 * - an operation refused with an "unavailable" reply (OOM, READONLY, LOADING, BUSY…):
 *   until that operation succeeds. Not any answer: under OOM reads succeed while writes
 *   fail, and ending the outage on a read would report one per write.
 */
export class RedisAvailability {
  private readonly misconfig = new Map<Role, string>();
  private readonly lost = new Map<Role, string>();
  private readonly stalled = new Map<Role, string>();
  private readonly refused = new Map<string, string>();
  private readonly listeners = new Set<{ fn: Listener }>();
  private downSince: number | undefined;
  /** When the last outage ended: an outage never begins before it (a call sent earlier was answered or failed in it). */
  private upSince: number;
  private reason = '';
  private probeTimer: unknown;
  private probing = false;
  private stopped = false;

  constructor(private readonly deps: AvailabilityDeps) {
    this.upSince = deps.clock.now();
  }

  /**
   * Redis refused `role`'s configuration (credentials, database index): `message` says
   * how. Lasts until that connection is ready again ({@link connectionReady}, which the
   * broker does not call for a socket Redis refused). `report` runs first (before the
   * status change) when no connection was already refused for the same reason: once, not
   * per reconnect attempt or per connection.
   */
  misconfigured(role: Role, message: string, report: () => void): void {
    if (this.stopped) return;
    if (![...this.misconfig.values()].includes(message)) report();
    this.misconfig.set(role, message);
    this.update();
  }

  /** `role`'s connection closed or failed (ignored after {@link stop}). */
  connectionLost(role: Role, detail: string): void {
    if (this.stopped || this.lost.has(role)) return;
    this.lost.set(role, `redis broker: ${ROLE_NAMES[role]} connection lost: ${detail}`);
    this.update();
  }

  /** `role`'s connection is ready: it connected and Redis answered its ready check. */
  connectionReady(role: Role): void {
    this.misconfig.delete(role);
    this.lost.delete(role);
    this.stalled.delete(role);
    this.update();
  }

  /**
   * A call `what` on `role` failed with BROKER_UNAVAILABLE (`err`). `sentAt`: when the call
   * was sent (or began waiting for the connection). An outage is counted from the first
   * evidence of it, not from when it was noticed: a stall noticed by a command timeout
   * began when that command went unanswered, `commandTimeoutMs` earlier.
   */
  failed(role: Role, what: string, err: Error, sentAt?: number): void {
    if (this.stopped) return;
    if (isRedisReply(err)) this.refused.set(what, err.message);
    else if (!this.stalled.has(role)) this.stalled.set(role, err.message);
    this.update(sentAt);
    this.armProbe();
  }

  /** A call `what` on `role` was answered (`what` undefined: say nothing of refused operations). */
  answered(role: Role, what?: string): void {
    if (this.stalled.size === 0 && this.refused.size === 0) return;
    this.stalled.delete(role);
    if (what !== undefined) this.refused.delete(what);
    this.update();
  }

  /**
   * Adds a listener; returns its removal. A listener added during an outage is told at
   * once (synchronously), so one attached just after the broker noticed is not left thinking
   * all is well.
   */
  on(fn: Listener): () => void {
    const entry = { fn };
    this.listeners.add(entry);
    if (this.downSince !== undefined) this.call(entry, { available: false, reason: this.reason });
    return () => void this.listeners.delete(entry);
  }

  /** `role`'s connection is lost or stalled (close drops it rather than wait on it). */
  isDown(role: Role): boolean {
    return this.lost.has(role) || this.stalled.has(role);
  }

  /** At close: no more changes, no timer. */
  stop(): void {
    this.stopped = true;
    if (this.probeTimer !== undefined) this.deps.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.listeners.clear();
  }

  private firstCause(): string | undefined {
    for (const m of [this.misconfig, this.lost, this.stalled, this.refused]) for (const v of m.values()) return v;
    return undefined;
  }

  private update(since?: number): void {
    if (this.stopped) return;
    const cause = this.firstCause();
    const now = this.deps.clock.now();
    const began = Math.max(this.upSince, Math.min(now, since ?? now));
    if (cause !== undefined && this.downSince === undefined) {
      this.downSince = began;
      this.reason = cause;
      this.emit({ available: false, reason: cause });
    } else if (cause !== undefined && this.downSince !== undefined) {
      // A call sent before the one that began it failed later (a longer timeout).
      this.downSince = Math.min(this.downSince, began);
    } else if (cause === undefined && this.downSince !== undefined) {
      const downMs = Math.max(0, now - this.downSince);
      this.downSince = undefined;
      this.upSince = now;
      this.emit({ available: true, downMs });
    }
  }

  private emit(change: BrokerStatusChange): void {
    for (const entry of [...this.listeners]) this.call(entry, change);
  }

  private call(entry: { fn: Listener }, change: BrokerStatusChange): void {
    try {
      entry.fn(change);
    } catch (err) {
      this.deps.onError(err as Error);
    }
  }

  private armProbe(): void {
    if (this.stopped || this.probing || this.probeTimer !== undefined || this.stalled.size === 0) return;
    this.probeTimer = this.deps.clock.setTimeout(() => {
      this.probeTimer = undefined;
      this.probing = true;
      const roles = [...this.stalled.keys()];
      // A failed PING does not end the stall; one that timed out had the connection
      // replaced (deps.ping), whose `ready` ends it.
      void Promise.allSettled(roles.map((role) => this.deps.ping(role).then(() => this.answered(role, 'ping')))).then(() => {
        this.probing = false;
        this.armProbe();
      });
    }, STALL_PROBE_MS);
  }
}
