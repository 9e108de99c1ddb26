import { LifelineError } from './errors';
import type { PresenceEventFrame, PresenceMember } from './protocol';

interface Waiter {
  ref: number;
  resolve(): void;
  reject(e: LifelineError): void;
}

/**
 * One channel's presence: the member list (replaced on every change, so it can be
 * handed out as a snapshot) and this client's wish to be present, which is
 * re-entered after every reconnect.
 */
export class Presence {
  list: readonly PresenceMember[] = [];
  /** Info to be present with, or undefined when this client does not want to be present. */
  wanted: { info: unknown } | undefined;
  private readonly byId = new Map<string, PresenceMember>();
  private waiters: Waiter[] = [];

  constructor(
    private readonly channel: string,
    private readonly changed: (members: readonly PresenceMember[]) => void,
  ) {}

  /** Replaces the member list (from a `subscribed` reply). */
  reset(members: PresenceMember[] = []): void {
    this.byId.clear();
    for (const m of members) this.byId.set(m.clientId, m);
    this.publish();
  }

  onEvent(f: PresenceEventFrame): void {
    if (!f.member || typeof f.member.clientId !== 'string') return;
    if (f.event === 'leave') this.byId.delete(f.member.clientId);
    else this.byId.set(f.member.clientId, f.member);
    this.publish();
  }

  /** Builds the enter frame to send now (or after the next connect). */
  enterFrame(ref: number): string | null {
    if (!this.wanted) return null;
    for (const w of this.waiters) if (!w.ref) w.ref = ref;
    return JSON.stringify({ type: 'presence.enter', ref, channel: this.channel, info: this.wanted.info });
  }

  /** Resolves once the server confirmed an enter sent after this call. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ ref: 0, resolve, reject }));
  }

  /** A `presence.ok` or an `error` answered `ref`; true when it was ours. */
  answer(ref: number, error?: LifelineError): boolean {
    const mine = this.waiters.filter((w) => w.ref === ref);
    if (!mine.length) return false;
    this.waiters = this.waiters.filter((w) => w.ref !== ref);
    for (const w of mine) (error ? w.reject(error) : w.resolve());
    return true;
  }

  /** The connection dropped: enters in flight will be sent again. */
  disconnected(): void {
    for (const w of this.waiters) w.ref = 0;
  }

  failAll(error: LifelineError): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(error);
  }

  private publish(): void {
    this.list = [...this.byId.values()];
    this.changed(this.list);
  }
}
