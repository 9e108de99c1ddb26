// The per-channel bound on presence members (`maxPresenceMembers`, PROTOCOL.md §8, §11).
import type { Broker } from '../broker/types';

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

/**
 * The wire code of an enter refused because the channel holds `maxPresenceMembers`
 * members already. Final (no `retryAfterMs`): the reference client rejects the enter and
 * does not send it again by itself.
 */
export const PRESENCE_FULL = 'PRESENCE_FULL';

/**
 * How many members `channel` has when `clientId` is not one of them and there are
 * `max` or more (its enter must be refused), else `undefined`. A member already present
 * (an enter that updates its info) is never refused.
 *
 * Answered synchronously by a broker that counts members (the memory broker), so the
 * caller can store the enter with nothing in between and the bound is exact; by one count
 * call on the Redis broker (the member list it read before cost each new member's enter the
 * whole channel's presence: 1,000 members of 4 KB, 4 MB per enter); on another broker from
 * its member list. Off the memory broker, enters of different connections landing at the
 * same moment may pass the bound by as many.
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
