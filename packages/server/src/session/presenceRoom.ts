// The per-channel bound on presence members (`maxPresenceMembers`, PROTOCOL.md §8, §11).
import { refreshPresence, type Broker, type PresenceEntry } from '../broker/types';

/** A broker that can say at once how many members a channel has (the memory broker). */
interface CountsMembers {
  presenceMembers(channel: string, clientId: string): { count: number; member: boolean };
}

const countsMembers = (broker: Broker): broker is Broker & CountsMembers =>
  typeof (broker as Partial<CountsMembers>).presenceMembers === 'function';

/** A broker that counts members with one call of its own (Redis), without the member list. */
interface CountsMembersAsync {
  presenceCount(channel: string, clientId: string): Promise<{ count: number; member: boolean }>;
}

const countsMembersAsync = (broker: Broker): broker is Broker & CountsMembersAsync =>
  typeof (broker as Partial<CountsMembersAsync>).presenceCount === 'function';

/** A broker whose enter checks the bound in the same atomic step as the write (Redis: PRESENCE_SET_LUA). */
interface SetsBounded {
  presenceSetBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined>;
}

const setsBounded = (broker: Broker): broker is Broker & SetsBounded =>
  typeof (broker as Partial<SetsBounded>).presenceSetBounded === 'function';

/**
 * The wire code of an enter refused because the channel holds `maxPresenceMembers`
 * members already. Final (no `retryAfterMs`): the reference client rejects the enter and
 * does not send it again by itself.
 */
export const PRESENCE_FULL = 'PRESENCE_FULL';

/**
 * Stores the enter `entry` on `channel` unless the channel has `max` members or more and
 * `entry.clientId` is not one of them: then nothing is stored and the member count is the
 * answer (PRESENCE_FULL), else `undefined` once stored. A member already present (an enter
 * that updates its info) is never refused. Rejects as Broker.presenceSet does.
 *
 * Exact on the Redis broker (the script that writes counts, after its expiry sweep: a count
 * by a call of its own before the write let enters landing at once on several nodes pass the
 * bound together) and on the memory broker (counted synchronously, the write sent in the same
 * turn). On another broker, counted by {@link presenceFull} first: enters of different
 * connections landing at the same moment may pass the bound by as many.
 */
export function enterBounded(broker: Broker, channel: string, entry: PresenceEntry, ttlMs: number, max: number): Promise<number | undefined> {
  if (max !== Infinity && setsBounded(broker)) return broker.presenceSetBounded(channel, entry, ttlMs, max);
  const full = presenceFull(broker, channel, entry.clientId, max);
  const store = (count: number | undefined): Promise<number | undefined> =>
    count !== undefined ? Promise.resolve(count) : broker.presenceSet(channel, entry, ttlMs).then(() => undefined);
  // Not awaited when known at once: nothing may run between the memory broker's count and its write.
  return full instanceof Promise ? full.then(store) : store(full);
}

/** A broker whose refresh of a gone entry checks the bound in the write itself (Redis: PRESENCE_SET_LUA). */
interface RefreshesBounded {
  presenceRefreshBounded(channel: string, entry: PresenceEntry, ttlMs: number, maxMembers: number): Promise<number | undefined>;
}

const refreshesBounded = (broker: Broker): broker is Broker & RefreshesBounded =>
  typeof (broker as Partial<RefreshesBounded>).presenceRefreshBounded === 'function';

/**
 * Refreshes `entry` (Broker.presenceRefresh: the heartbeat's, a drain's hold) bounded by `max`
 * members as {@link enterBounded} is: an entry still held is never refused; one the store lost
 * (expired at its TTL through an outage longer than it) is stored again, as an enter, only when
 * its clientId is still a member or there is room. Resolves the member count, nothing stored,
 * when it is refused (PRESENCE_FULL), else `undefined`. Unbounded, such a refresh put a member
 * back on a channel that had filled up meanwhile, past the bound.
 *
 * Exact on the Redis broker (its refresh script counts, only when the entry is gone) and on the
 * memory broker (counted synchronously, the refresh sent in the same turn). On another broker
 * the refresh is not bounded: telling a held entry from a gone one would cost a count or list
 * read per member per heartbeat.
 */
export function refreshBounded(broker: Broker, channel: string, entry: PresenceEntry, ttlMs: number, max: number): Promise<number | undefined> {
  if (max !== Infinity && refreshesBounded(broker)) return broker.presenceRefreshBounded(channel, entry, ttlMs, max);
  if (max !== Infinity && countsMembers(broker)) {
    // A held entry's clientId is a member, so only a gone entry's refresh can be refused here.
    const { count, member } = broker.presenceMembers(channel, entry.clientId);
    if (!member && count >= max) return Promise.resolve(count);
  }
  return refreshPresence(broker, channel, entry, ttlMs).then(() => undefined);
}

/**
 * How many members `channel` has when `clientId` is not one of them and there are
 * `max` or more (its enter must be refused), else `undefined`. A member already present
 * (an enter that updates its info) is never refused.
 *
 * Answered synchronously by a broker that counts members (the memory broker), so the
 * caller can store the enter with nothing in between and the bound is exact; by one count
 * call on a broker with `presenceCount`; on another broker from its member list.
 */
export function presenceFull(broker: Broker, channel: string, clientId: string, max: number): number | undefined | Promise<number | undefined> {
  if (max === Infinity) return undefined;
  if (countsMembers(broker)) {
    const { count, member } = broker.presenceMembers(channel, clientId);
    return !member && count >= max ? count : undefined;
  }
  if (countsMembersAsync(broker)) {
    return broker.presenceCount(channel, clientId).then(({ count, member }) => (!member && count >= max ? count : undefined));
  }
  return broker.presenceList(channel).then((entries) => {
    const members = new Set<string>();
    for (const e of entries) members.add(e.clientId);
    return !members.has(clientId) && members.size >= max ? members.size : undefined;
  });
}
