import type { Broker } from './broker/types';
import { MAX_TIMER_MS, type Clock } from './clock';

/**
 * The most of `presenceGraceMs` a drained connection's entries are held for on top of its
 * reconnect window. The window is what a moving client needs (it reconnects within it);
 * a long grace (say 10 min) on top of it would hold `drain()` (and the process) that much
 * longer for no mover's sake. 30 s: the floor of the entry TTL, and Kubernetes' default
 * kill timeout.
 */
export const DRAIN_GRACE_CAP_MS = 30_000;

interface Pending {
  channel: string;
  clientId: string;
  connId: string;
  /** The token `sub` of the connection that held it: only that user's leave ends its grace. */
  user: string | undefined;
  timer: unknown;
  /** When the removal is due on the server's clock (`Infinity`: an unbounded grace). */
  due: number;
  /** Runs before the removal (the held entry's longer TTL being stored): awaited first. */
  before: Promise<unknown> | undefined;
}

/**
 * Delays the removal of a dropped member's presence entry by `graceMs`. Because the
 * broker keys join/leave by clientId, a client that enters again from a new
 * connection within the grace period causes neither a leave nor a join.
 */
export class PresenceGrace {
  private readonly pending = new Set<Pending>();
  /** Removals that fired and whose broker call has not answered yet (the entry may still be stored). */
  private readonly firing = new Set<Pending>();
  /**
   * Entries of closed connections whose enter was still being stored at the close, by
   * connection and channel: `flushed` once a leave of the same client came meanwhile.
   */
  private readonly landing = new Map<string, { channel: string; clientId: string; user: string | undefined; flushed: boolean }>();
  /** Removals whose broker call has not answered yet. */
  private removing = 0;
  /** Callers of {@link whenIdle} waiting for the last removal. */
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly graceMs: number,
  ) {}

  /**
   * How long after its socket closed the entry of a connection is removed: `graceMs`, or
   * for a drained one (`holdMs` > 0: the reconnect window the drain gave it) `holdMs` +
   * `min(graceMs, DRAIN_GRACE_CAP_MS)`. An unbounded grace (>= 2^31 ms) stays unbounded.
   */
  delayMs(holdMs: number): number {
    if (holdMs <= 0 || this.graceMs >= MAX_TIMER_MS) return this.graceMs + Math.max(0, holdMs);
    return holdMs + Math.min(this.graceMs, DRAIN_GRACE_CAP_MS);
  }

  /**
   * Schedules removal of the entry of a connection that just closed, {@link delayMs}
   * from now (`holdMs`: the reconnect window a drain gave that connection's client).
   * `before` (e.g. storing the entry again with a TTL that covers the hold) settles before
   * the removal runs, so it can never re-add an entry already removed. `user`: the token
   * `sub` the connection held (none: `undefined`), see {@link flush}.
   */
  schedule(channel: string, clientId: string, connId: string, holdMs = 0, before?: Promise<unknown>, user?: string): void {
    const delay = this.delayMs(holdMs);
    const p: Pending = { channel, clientId, connId, user, timer: undefined, due: delay >= MAX_TIMER_MS ? Infinity : this.clock.now() + delay, before };
    this.pending.add(p);
    if (delay === 0) {
      void this.fire(p);
      return;
    }
    p.timer = this.clock.setTimeout(() => void this.fire(p), delay);
    // Other nodes cannot see this timer: the hold's end goes with the entry (on Redis), so an
    // enter they refuse as taken meanwhile can be told when to ask again. A failure (an
    // outage) leaves the entry unmarked: refused for good there, as a live one is.
    if (delay < MAX_TIMER_MS) this.markHeld(channel, clientId, connId, delay);
  }

  private markHeld(channel: string, clientId: string, connId: string, holdMs: number): void {
    try {
      this.broker.presenceHold?.(channel, clientId, connId, holdMs).catch(() => undefined);
    } catch {
      // A broker that throws instead of rejecting: the entry stays unmarked all the same.
    }
  }

  /**
   * Runs the pending removals of `clientId` on `channel` now (an explicit leave), those
   * of `user`'s connections only: clientIds are public, and another user's leave under
   * one ended its holder's grace (a `leave` for everyone, a `join` when it came back).
   */
  async flush(channel: string, clientId: string, user: string | undefined): Promise<void> {
    for (const l of this.landing.values()) if (l.channel === channel && l.clientId === clientId && l.user === user) l.flushed = true;
    const due = [...this.pending].filter((p) => p.channel === channel && p.clientId === clientId && p.user === user);
    await Promise.all(due.map((p) => this.fire(p)));
  }

  /**
   * A connection closed with its enter on `channel` still being stored: a leave of the same
   * client before it lands must end it too. Without this the entry stored after the leave was
   * answered went on a grace timer of its own, listed for the whole grace period.
   */
  expectLate(channel: string, clientId: string, connId: string, user: string | undefined): void {
    this.landing.set(`${connId}\n${channel}`, { channel, clientId, user, flushed: false });
  }

  /** The enter of {@link expectLate} settled: true when a leave came meanwhile (remove the entry now, no grace). */
  settleLate(channel: string, connId: string): boolean {
    const key = `${connId}\n${channel}`;
    const l = this.landing.get(key);
    this.landing.delete(key);
    return l?.flushed === true;
  }

  /**
   * How long the entry `connId` of `clientId` on `channel` is still held by this node's
   * grace: the time until its removal (`Infinity`: an unbounded grace), or `undefined` when
   * it is not in its grace here (a live connection, or an entry of another node's). An entry
   * whose connection closed with its enter still being stored is counted with a whole grace
   * period (its timer starts when it lands), one whose removal already runs (or a leave
   * flushed) with 1 ms.
   */
  heldHereFor(channel: string, clientId: string, connId: string): number | undefined {
    const of = (p: Pending) => p.channel === channel && p.clientId === clientId && p.connId === connId;
    const p = [...this.pending].find(of);
    if (p) return p.due - this.clock.now();
    if ([...this.firing].some(of)) return 1;
    const l = this.landing.get(`${connId}\n${channel}`);
    if (l?.clientId === clientId) return l.flushed ? 1 : this.delayMs(0);
    return undefined;
  }

  /** Runs every pending removal now (server shutting down). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.pending].map((p) => this.fire(p)));
  }

  /** Forgets every pending removal (the broker's presence is about to be wiped). */
  cancelAll(): void {
    for (const p of this.pending) this.clock.clearTimeout(p.timer);
    this.pending.clear();
    this.wakeIfIdle();
  }

  /**
   * Resolves once no removal is pending or running (at once when none is): each ran on
   * its own timer, or was flushed. A drain waits for it, so the members of the clients it
   * sent to another node are still there when they enter again there, instead of all
   * leaving at once and joining again.
   */
  whenIdle(): Promise<void> {
    if (this.pending.size === 0 && this.removing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get size(): number {
    return this.pending.size;
  }

  private async fire(p: Pending): Promise<void> {
    if (!this.pending.delete(p)) return; // flushed and fired by its timer in the same turn
    this.clock.clearTimeout(p.timer);
    this.removing++;
    this.firing.add(p);
    try {
      if (p.before) await p.before.catch(() => undefined);
      await this.remove(p.channel, p.clientId, p.connId);
    } finally {
      this.firing.delete(p);
      this.removing--;
      this.wakeIfIdle();
    }
  }

  private wakeIfIdle(): void {
    if (this.pending.size > 0 || this.removing > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async remove(channel: string, clientId: string, connId: string): Promise<void> {
    try {
      await this.broker.presenceRemove(channel, clientId, connId);
    } catch {
      // The broker is down: its TTL expires the entry instead.
    }
  }
}
