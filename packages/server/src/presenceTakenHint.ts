// The retryAfterMs of a presence.enter refused as taken (PROTOCOL.md §8): when every entry of
// the clientId is a closed connection's that some node holds in its grace, the time until the
// last of them is gone; else none (held live: refused for good).
import type { PresenceHold } from './broker/types';
import { MAX_TIMER_MS } from './clock';
import type { PresenceGrace } from './presenceGrace';

/**
 * The least hint once another node's removal is overdue. Its clock may be behind ours by a
 * little, or its removal still on the way: a retry a few ms later usually finds it gone,
 * and 100 ms keeps such a client to a handful of refusals rather than one per millisecond.
 */
export const OVERDUE_MIN_MS = 100;

/**
 * The hint for entries `entries` of `clientId` on `channel` (every one the broker lists for
 * it), or `undefined` when any of them is held live (or its end is unknown: an unbounded
 * grace, an entry of a node that does not mark its holds). This node's own grace is asked
 * first (it knows its timers exactly); an entry held by another node is judged by what that
 * node stored with it ({@link heldElsewhereFor}). At least 1 ms. A hint that proves early
 * costs one more refusal, with a new hint.
 */
export function takenRetryMs(grace: PresenceGrace, channel: string, clientId: string, entries: readonly PresenceHold[]): number | undefined {
  let left = 1;
  for (const e of entries) {
    const ms = grace.heldHereFor(channel, clientId, e.connId) ?? heldElsewhereFor(e);
    if (ms === undefined || !(ms < MAX_TIMER_MS)) return undefined;
    left = Math.max(left, Math.ceil(ms));
  }
  return left;
}

/**
 * How long to wait for an entry another node holds in its grace (`undefined`: not held,
 * a live connection's). The hold's end was stored on that node's clock and is read on
 * ours, so clock skew moves it; it is bounded both ways:
 * - never more than the whole hold (`totalMs`): a clock of ours behind theirs cannot
 *   stretch the wait past what the hold itself lasts;
 * - never past the entry's TTL end, plus 1 ms: the enter sent on the hint sweeps expired
 *   entries with our clock first, so it finds the entry gone then whatever became of the
 *   holding node (it may have died with the entry in its grace: nothing removes it but the
 *   TTL);
 * - once the hold's end has passed and the entry is still there (our clock ahead, their
 *   removal on its way, or their node gone), as long again as it is overdue (at least
 *   {@link OVERDUE_MIN_MS}): each refusal doubles the wait, a few for a late removal, a
 *   dozen or so until the TTL of a dead node's entry.
 */
export function heldElsewhereFor(e: PresenceHold): number | undefined {
  if (!e.hold) return undefined;
  const { leftMs, totalMs } = e.hold;
  const wait = leftMs > 0 ? Math.min(leftMs, totalMs) : Math.max(-leftMs, OVERDUE_MIN_MS);
  return Math.max(1, Math.min(wait, e.ttlLeftMs + 1));
}
