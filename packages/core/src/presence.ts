import type { LifelineError } from './errors';
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
export interface Presence {
  readonly list: readonly PresenceMember[];
  /** Info to be present with, or undefined when this client does not want to be present. */
  wanted: { info: unknown } | undefined;
  /** Replaces the member list (from a `subscribed` reply). */
  reset(members?: PresenceMember[]): void;
  onEvent(f: PresenceEventFrame): void;
  /** Builds the enter frame to send now (or after the next connect); null when not wanted. */
  enterFrame(ref: number): string | null;
  /** Resolves once the server confirmed an enter sent after this call. */
  wait(): Promise<void>;
  /** A `presence.ok` or an `error` answered `ref`; true when it was ours. */
  answer(ref: number, error?: LifelineError): boolean;
  /** The connection dropped: enters in flight will be sent again. */
  disconnected(): void;
  failAll(error: LifelineError): void;
}

export function createPresence(channel: string, changed: (members: readonly PresenceMember[]) => void): Presence {
  const byId = new Map<string, PresenceMember>();
  let waiters: Waiter[] = [];
  /** Replaces the list (a new frozen array) only when a member joined, left or changed. */
  const publish = () => {
    const list = [...byId.values()];
    const before = new Map(p.list.map((m) => [m.clientId, JSON.stringify(m)]));
    if (list.length === before.size && list.every((m) => before.get(m.clientId) === JSON.stringify(m))) return;
    p.list = Object.freeze(list);
    changed(p.list);
  };
  const p: Presence & { list: readonly PresenceMember[] } = {
    list: [],
    wanted: undefined,
    reset(members = []) {
      byId.clear();
      for (const m of members) byId.set(m.clientId, m);
      publish();
    },
    onEvent(f) {
      const m = f.member; // checked by the frame router
      if (f.event === 'leave') byId.delete(m.clientId);
      else byId.set(m.clientId, m);
      publish();
    },
    enterFrame(ref) {
      if (!p.wanted) return null;
      for (const w of waiters) w.ref ||= ref;
      return JSON.stringify({ type: 'presence.enter', ref, channel, info: p.wanted.info });
    },
    wait: () => new Promise((resolve, reject) => void waiters.push({ ref: 0, resolve, reject })),
    answer(ref, error) {
      let mine = false;
      waiters = waiters.filter((w) => {
        if (w.ref !== ref) return true;
        mine = true;
        error ? w.reject(error) : w.resolve();
        return false;
      });
      return mine;
    },
    disconnected() {
      for (const w of waiters) w.ref = 0;
    },
    failAll(error) {
      const ws = waiters;
      waiters = [];
      for (const w of ws) w.reject(error);
    },
  };
  return p;
}
