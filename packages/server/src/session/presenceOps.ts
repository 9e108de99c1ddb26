import { CloseCode, type PresenceEnterFrame, type PresenceLeaveFrame } from '@lifeline/core/protocol';
import { allows } from '../auth';
import { PresenceTakenError, type PresenceEntry, type PresenceHold } from '../broker/types';
import { takenRetryMs } from '../presenceTakenHint';
import { refuseForbidden } from './forbidden';
import { enterBounded, PRESENCE_FULL } from './presenceRoom';
import { releasePresence } from './presenceHold';
import type { Session } from './session';
import { errorText } from './subscribeOps';

export function presenceEntry(s: Session, info: unknown): PresenceEntry {
  const entry: PresenceEntry = { clientId: s.clientId, connId: s.id };
  if (s.claims?.sub !== undefined) entry.user = s.claims.sub;
  if (info !== undefined) entry.info = info;
  return entry;
}

/** Read through a call: the session may close during any await, which a narrowed `s.state` hides from TypeScript. */
const closed = (s: Session): boolean => s.state === 'closed';

export async function handlePresenceEnter(s: Session, f: PresenceEnterFrame): Promise<void> {
  const { channel, ref } = f;
  // Its turn came after the connection closed (it waited behind another request on the
  // channel): stored now, it listed a member already gone for a grace period of its own,
  // which a leave from the client's next connection, answered meanwhile, did not end.
  if (closed(s)) return;
  if (!allows(s.claims, 'subscribe', channel)) {
    return refuseForbidden(s, `token does not allow presence on ${channel}`, { ref, channel });
  }
  const max = s.ctx.opts.maxPresenceInfoBytes;
  if (f.info !== undefined && Buffer.byteLength(JSON.stringify(f.info)) > max) {
    return s.error('BAD_FIELD', `presence.enter: "info" is above ${max} bytes of JSON`, { ref, channel });
  }
  const wait = s.presenceBucket.take();
  if (wait > 0) {
    // The reference client sends an enter refused with retryAfterMs again after it.
    s.error('RATE_LIMITED', 'presence rate limit reached', { ref, channel, retryAfterMs: wait });
    if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'presence flood');
    return;
  }
  // Enters on different channels run concurrently: one still being stored holds its slot.
  const held = s.presence.has(channel) || s.presenceEntering.has(channel);
  if (!held && s.presence.size + s.presenceEntering.size >= s.ctx.opts.maxChannels) {
    return s.error('TOO_MANY_CHANNELS', `at most ${s.ctx.opts.maxChannels} presence channels per connection`, { ref, channel });
  }
  s.presenceEntering.add(channel);
  try {
    const maxMembers = s.ctx.opts.maxPresenceMembers;
    // The bound is checked with the store (presenceRoom.ts): no other enter runs between the two.
    const full = await enterBounded(s.ctx.broker, channel, presenceEntry(s, f.info), s.ctx.presenceTtlMs, maxMembers);
    if (full !== undefined) {
      // Every `subscribed` carries every member: unbounded, the list outgrew what a
      // connection may queue (~4,050 members of 4 KB info: every new subscriber closed 1013).
      return s.error(PRESENCE_FULL, `presence.enter: ${channel} has ${full} members, the most this server allows (maxPresenceMembers ${maxMembers})`, { ref, channel });
    }
    if (s.state === 'closed') {
      // Closed while entering: cleanup already ran, so release through the grace path, or at
      // once when the client's leave (from its next connection) came meanwhile.
      if (s.ctx.grace.settleLate(channel, s.id)) await s.ctx.broker.presenceRemove(channel, s.clientId, s.id).catch(() => undefined);
      else releasePresence(s, channel, f.info);
      return;
    }
    s.presence.set(channel, f.info);
    s.send({ type: 'presence.ok', ref, channel });
  } catch (err) {
    if (err instanceof PresenceTakenError) {
      const retryAfterMs = await takenUntil(s, channel);
      // Without retryAfterMs the reference client reports it and stops; with it, enters again then.
      return s.error('FORBIDDEN', `presence.enter: ${err.message}`, retryAfterMs === undefined ? { ref, channel } : { ref, channel, retryAfterMs });
    }
    s.error('BROKER_UNAVAILABLE', `presence not stored: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel, retryAfterMs: 1000 });
  } finally {
    s.presenceEntering.delete(channel);
    // Refused or failed after the close: nothing landed, nothing to wait for.
    if (s.state === 'closed') s.ctx.grace.settleLate(channel, s.id);
  }
}

/**
 * The hint for an enter of `s` refused as taken on `channel`: when every entry of its clientId
 * there is a closed connection's held by a grace period (a client whose user changed, say by
 * `setToken`, reconnects while its old user's member is held), the time until the last is
 * gone, so it enters then (presenceTakenHint.ts); else `undefined`, refused for good (a member
 * held live). This node's grace is known here; another node's only on a broker that stores
 * the holds (Broker.presenceHolds, Redis): on one that does not (a memory broker shared by
 * two servers in a test), an entry of another node's counts as live. Gone since the refusal: 1 ms.
 *
 * Safe though clientIds are public: the hint only says when to ask again. The grace is not
 * shortened (only the holder's own leave ends it, PresenceGrace.flush), and the enter sent on
 * it goes through the broker's check again: refused while the holder's user has any entry,
 * held live when it came back within the grace (then refused with no hint). What it tells a
 * stranger (how long a dropped member stays listed) every watcher sees anyway.
 */
async function takenUntil(s: Session, channel: string): Promise<number | undefined> {
  const { broker, grace } = s.ctx;
  let entries: readonly PresenceHold[] | undefined;
  try {
    if (broker.presenceHolds) entries = await broker.presenceHolds(channel, s.clientId);
    else entries = (await broker.presenceList(channel)).filter((e) => e.clientId === s.clientId).map((e) => ({ connId: e.connId, ttlLeftMs: Infinity }));
  } catch {
    return undefined; // the broker stopped answering: refused as before, the holder unknown
  }
  return entries && takenRetryMs(grace, channel, s.clientId, entries);
}

export async function handlePresenceLeave(s: Session, f: PresenceLeaveFrame): Promise<void> {
  const { channel, ref } = f;
  try {
    s.presence.delete(channel);
    // An earlier connection of the same client may still be in its grace period: leave means
    // now. Only for a token allowed on the channel, and only that user's connections: any
    // connection may say hello with another's clientId (they are public).
    if (allows(s.claims, 'subscribe', channel)) await s.ctx.grace.flush(channel, s.clientId, s.claims?.sub);
    await s.ctx.broker.presenceRemove(channel, s.clientId, s.id);
    s.send({ type: 'presence.ok', ref, channel });
  } catch (err) {
    s.error('BROKER_UNAVAILABLE', `presence not removed: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel, retryAfterMs: 1000 });
  }
}

/**
 * A refresh of `s`'s entry on `channel` (the heartbeat's, or its retry after an outage) was
 * refused with {@link PresenceTakenError}: the store had lost the entry (on Redis: expired at
 * its TTL through an outage longer than it) and another user has entered under the clientId
 * since. Tried again at every heartbeat slot and broker recovery, it was refused for as long
 * as the connection lasted while the client believed itself present. The connection lets the
 * entry go and says so with the `FORBIDDEN` an enter refused as taken gets, without a `ref`:
 * no request is answered, and the enter's old ref may name a newer request by now.
 *
 * Run in order with the channel's requests, and only if the entry refreshed (`info`) is still
 * the one held: a leave, or a leave and a new enter, answered meanwhile decided it already.
 * Our own entry is removed as well, should an enter have stored one since the refusal.
 */
export function presenceTaken(s: Session, channel: string, info: unknown, err: PresenceTakenError): void {
  s.onChannel(channel, async () => {
    if (s.state !== 'open' || !s.presence.has(channel) || s.presence.get(channel) !== info) return;
    s.presence.delete(channel);
    s.error('FORBIDDEN', `presence: ${err.message}; no longer present`, { channel });
    await s.ctx.broker.presenceRemove(channel, s.clientId, s.id).catch(() => undefined);
  });
}

/**
 * A refresh of `s`'s entry on `channel` (the heartbeat's, its retry after an outage, or a
 * drain's hold) was refused as full: the store had lost the entry (on Redis: expired at its TTL
 * through an outage longer than it), and the channel had `maxPresenceMembers` members without
 * this client by then. Stored anyway, it took the channel past the bound the enter script
 * holds; dropped silently, the client believed itself present. As {@link presenceTaken}: the
 * connection lets the entry go (no longer refreshed) and says so once with the `PRESENCE_FULL`
 * a new member's enter gets on a full channel, on the channel and without a `ref`.
 */
export function presenceRefreshFull(s: Session, channel: string, info: unknown, count: number): void {
  s.onChannel(channel, async () => {
    if (s.state !== 'open' || !s.presence.has(channel) || s.presence.get(channel) !== info) return;
    s.presence.delete(channel);
    const max = s.ctx.opts.maxPresenceMembers;
    s.error(PRESENCE_FULL, `presence: ${channel} has ${count} members, the most this server allows (maxPresenceMembers ${max}); no longer present`, { channel });
    // Nothing of ours was stored by the refused refresh; an enter answered since may have stored one.
    await s.ctx.broker.presenceRemove(channel, s.clientId, s.id).catch(() => undefined);
  });
}
