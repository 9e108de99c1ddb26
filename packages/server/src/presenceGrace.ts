import type { Broker } from './broker/types';
import type { Clock } from './clock';

interface Pending {
  channel: string;
  clientId: string;
  connId: string;
  timer: unknown;
}

/**
 * Delays the removal of a dropped member's presence entry by `graceMs`. Because the
 * broker keys join/leave by clientId, a client that enters again from a new
 * connection within the grace period causes neither a leave nor a join.
 */
export class PresenceGrace {
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly broker: Broker,
    private readonly clock: Clock,
    private readonly graceMs: number,
  ) {}

  /** Schedules removal of the entry of a connection that just closed. */
  schedule(channel: string, clientId: string, connId: string): void {
    if (this.graceMs === 0) {
      void this.remove(channel, clientId, connId);
      return;
    }
    const p: Pending = { channel, clientId, connId, timer: undefined };
    p.timer = this.clock.setTimeout(() => {
      this.pending.delete(p);
      void this.remove(channel, clientId, connId);
    }, this.graceMs);
    this.pending.add(p);
  }

  /** Runs the pending removals of `clientId` on `channel` now (an explicit leave). */
  async flush(channel: string, clientId: string): Promise<void> {
    const due = [...this.pending].filter((p) => p.channel === channel && p.clientId === clientId);
    await Promise.all(due.map((p) => this.fire(p)));
  }

  /** Runs every pending removal now (server shutting down). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.pending].map((p) => this.fire(p)));
  }

  /** Forgets every pending removal (the broker's presence is about to be wiped). */
  cancelAll(): void {
    for (const p of this.pending) this.clock.clearTimeout(p.timer);
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  private fire(p: Pending): Promise<void> {
    this.clock.clearTimeout(p.timer);
    this.pending.delete(p);
    return this.remove(p.channel, p.clientId, p.connId);
  }

  private async remove(channel: string, clientId: string, connId: string): Promise<void> {
    try {
      await this.broker.presenceRemove(channel, clientId, connId);
    } catch {
      // The broker is down: its TTL expires the entry instead.
    }
  }
}
