import type { ServerContext } from './context';
import type { OpsLog } from './opsLog';
import { PresenceTakenError } from './broker/types';
import { presenceEntry, presenceRefreshFull, presenceTaken } from './session/presenceOps';
import { refreshBounded } from './session/presenceRoom';
import type { Session } from './session/session';

/** Groups the sessions are pinged in, one group per tenth of the interval. */
const SLOTS = 10;

/**
 * Every `heartbeatMs`, for each open session: terminate it if silent for two intervals
 * (no close handshake: the peer is presumed gone), else ping it and refresh its
 * presence entries' TTL. Sessions are visited in SLOTS groups spread over the interval
 * (a session keeps its group), not all at once: 10,000 clients answering one ping
 * round together showed up as the highest bins of a reconnect storm (storm, drain 10k:
 * peak 1.64-2.24 × the admission rate before, 1.28-1.38 × after). Terminations are
 * logged through `ops` (the first few of an interval by session id, the rest counted):
 * 1,000 stalled clients wrote 1,000 lines in a second. Returns a stop function.
 */
export function startHeartbeat(ctx: ServerContext, ops: OpsLog): () => void {
  const { clock, heartbeatMs } = ctx.opts;
  const slotOf = new WeakMap<object, number>();
  let seen = 0;
  let tickNo = 0;
  let handle: unknown;
  let stopped = false;
  /**
   * Presence entries whose last refresh failed (the broker was down), by session. Retried
   * at the session's next slot as before, and at once when the broker says it is back:
   * three short outages over one entry's slots (15 s apart) let it expire, 45 s after its
   * last refresh, while its client stayed connected (a leave and a join for everyone).
   */
  const failed = new Map<Session, Set<string>>();
  /** Recoveries the broker reported (onStatus), to tell a failure that came after one. */
  let recoveries = 0;

  const refresh = (s: Session, channel: string, info: unknown): void => {
    const sentIn = recoveries;
    // A refresh, not an enter: an enter would make this connection the member's newest,
    // flipping the info of a client on two connections with different info. Bounded: an
    // entry the store lost comes back only if the channel has room (maxPresenceMembers).
    refreshBounded(ctx.broker, channel, presenceEntry(s, info), ctx.presenceTtlMs, ctx.opts.maxPresenceMembers).then(
      (full) => {
        const set = failed.get(s);
        if (set?.delete(channel) && set.size === 0) failed.delete(s);
        // Refused: not an outage, and no retry would find room it was not given.
        if (full !== undefined && s.state === 'open') presenceRefreshFull(s, channel, info, full);
      },
      (err: unknown) => {
        if (s.state !== 'open') return;
        // Another user holds the clientId: not an outage, and no retry will succeed.
        if (err instanceof PresenceTakenError) {
          const set = failed.get(s);
          if (set?.delete(channel) && set.size === 0) failed.delete(s);
          return presenceTaken(s, channel, info, err);
        }
        const set = failed.get(s) ?? new Set<string>();
        failed.set(s, set.add(channel));
        // The broker said it was back after this refresh was sent but before its failure was
        // read: the retry at that recovery did not know of it, so it goes now.
        if (recoveries !== sentIn && s.presence.has(channel)) refresh(s, channel, s.presence.get(channel));
      },
    );
  };

  const retryFailed = (): void => {
    for (const [s, channels] of failed) {
      if (s.state !== 'open') {
        failed.delete(s);
        continue;
      }
      for (const channel of channels) {
        if (s.presence.has(channel)) refresh(s, channel, s.presence.get(channel));
        else channels.delete(channel);
      }
      if (channels.size === 0) failed.delete(s);
    }
  };
  const offStatus = ctx.broker.onStatus?.((change) => {
    if (!change.available) return;
    recoveries++;
    retryFailed();
  });

  const tick = (): void => {
    const now = clock.now();
    // A closed session's failed refreshes are dropped here too: a broker without onStatus,
    // or one that never reports a recovery (a script error, not an outage), would
    // otherwise keep the session, socket included, in the map for good.
    for (const s of failed.keys()) if (s.state !== 'open') failed.delete(s);
    const phase = ++tickNo % SLOTS;
    for (const s of ctx.sessions) {
      let slot = slotOf.get(s);
      if (slot === undefined) slotOf.set(s, (slot = seen++ % SLOTS));
      if (slot !== phase || s.state !== 'open' || s.stalled) continue;
      if (now - s.lastSeen >= 2 * heartbeatMs) {
        ops.heartbeatTimeout(s.id);
        s.terminate();
        continue;
      }
      s.send({ type: 'ping', t: now });
      for (const [channel, info] of s.presence) refresh(s, channel, info);
    }
    if (!stopped) handle = clock.setTimeout(tick, heartbeatMs / SLOTS);
  };

  handle = clock.setTimeout(tick, heartbeatMs / SLOTS);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
    offStatus?.();
    failed.clear();
  };
}
