// Presence of a drained connection: held for its reconnect window + grace (PresenceGrace),
// stored again with a TTL that covers that hold, and a warning when the drain timeout cuts it.
import { MAX_TIMER_MS } from '../clock';
import type { Logger } from '../options';
import type { PresenceGrace } from '../presenceGrace';
import { presenceEntry } from './presenceOps';
import { refreshBounded } from './presenceRoom';
import type { Session } from './session';

/**
 * TTL for an entry held `holdMs` (a drain's reconnect window): the time until its removal
 * plus one heartbeat of slack, never below the usual TTL; `undefined` when the hold is
 * unbounded (an endless grace: the usual TTL applies, as for any closed connection).
 */
export function heldPresenceTtlMs(s: Session, holdMs: number): number | undefined {
  const until = s.ctx.grace.delayMs(holdMs) + s.ctx.opts.heartbeatMs;
  return until < MAX_TIMER_MS ? Math.max(s.ctx.presenceTtlMs, until) : undefined;
}

/**
 * A drain gave `s` a reconnect window of `holdMs`: its entries will be removed only after
 * that plus the (capped) grace. Nothing refreshes them once the socket closes (the
 * heartbeat refreshes open sessions only), and on Redis an entry expires `presenceTtlMs`
 * (45 s at defaults) after its last refresh: a window of 25 s (2,100 clients at 100
 * handshakes/s) or more let other nodes' sweeps announce `leave`, then `join` when the
 * member came back. So each entry is refreshed (no event, its place among the client's
 * entries kept) with {@link heldPresenceTtlMs}. Called for every session before the first drain frame goes
 * out, so no client can have entered again elsewhere (perhaps with new info) before this
 * lands. `holdMs` is the whole window: a client whose frame is written later in the pass
 * gets a little less (what is left of it), so the hold is never short.
 */
export function holdPresence(s: Session, holdMs: number): void {
  s.presenceHoldMs = holdMs;
  for (const [channel, info] of s.presence) extend(s, channel, info);
}

/**
 * Hands the entry of closed session `s` on `channel` to the grace timer; the removal waits
 * for the entry's longer TTL to be stored (so it cannot re-add a removed entry). An entry
 * stored after {@link holdPresence} ran (an enter that was in flight) is extended here.
 */
export function releasePresence(s: Session, channel: string, info: unknown): void {
  const hold = s.presenceHoldMs;
  const before = hold > 0 ? (s.presenceHolds.get(channel) ?? extend(s, channel, info)) : undefined;
  s.presenceHolds.delete(channel);
  s.ctx.grace.schedule(channel, s.clientId, s.id, hold, before, s.claims?.sub);
}

function extend(s: Session, channel: string, info: unknown): Promise<unknown> | undefined {
  const ttl = heldPresenceTtlMs(s, s.presenceHoldMs);
  if (ttl === undefined) return undefined;
  // A broker error leaves the entry on its old TTL: the same as a node that stopped. An entry
  // the store lost is stored again only if the channel has room, as at a heartbeat. Refused,
  // nothing is said: the drain frame and the close follow at once (nothing sent after them
  // arrives), and the client's enter on its next connection is answered PRESENCE_FULL.
  const stored = refreshBounded(s.ctx.broker, channel, presenceEntry(s, info), ttl, s.ctx.opts.maxPresenceMembers).catch(() => undefined);
  s.presenceHolds.set(channel, stored);
  return stored;
}

/**
 * Says (`warn`) when a drain's `timeoutMs` ends it before the presence hold does (the
 * reconnect window + grace, PresenceGrace.delayMs): the members not back on another node
 * by then leave at once and join again when they return. Said at the start of the drain:
 * the window (1.2 × connected clients ÷ `maxHandshakesPerSec`) is only known then.
 */
export function warnIfDeadlineCutsHold(logger: Logger, grace: PresenceGrace, sessions: readonly Session[], windowMs: number, timeoutMs: number): void {
  const members = sessions.filter((s) => s.presence.size > 0).length;
  const holdMs = grace.delayMs(windowMs);
  if (members === 0 || timeoutMs >= holdMs) return;
  logger.warn(
    `drain: presence of ${members} connection(s) is held ${holdMs} ms (reconnect window ${windowMs} ms + grace), ` +
      `past the drain timeout of ${timeoutMs} ms: members not back on another node by then leave at once and join again when they return; ` +
      `set --drain-timeout-ms / drainTimeoutMs >= ${holdMs} to hold them through`,
    { members, holdMs, windowMs, timeoutMs },
  );
}
