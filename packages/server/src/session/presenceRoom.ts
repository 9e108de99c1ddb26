// The per-channel bound on presence members (`maxPresenceMembers`, PROTOCOL.md §8, §11).
import type { Broker } from '../broker/types';

/** A broker that can say at once how many members a channel has (the memory broker). */
interface CountsMembers {
  presenceMembers(channel: string, clientId: string): { count: number; member: boolean };
}

const countsMembers = (broker: Broker): broker is Broker & CountsMembers =>
  typeof (broker as Partial<CountsMembers>).presenceMembers === 'function';

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
 * caller can store the enter with nothing in between and the bound is exact; on another
 * broker from its member list (one read per enter of a client not yet present), and
 * enters of different connections landing at the same moment may pass it by as many.
 */
export function presenceFull(broker: Broker, channel: string, clientId: string, max: number): number | undefined | Promise<number | undefined> {
  if (max === Infinity) return undefined;
  if (countsMembers(broker)) {
    const { count, member } = broker.presenceMembers(channel, clientId);
    return !member && count >= max ? count : undefined;
  }
  return broker.presenceList(channel).then((entries) => {
    const members = new Set<string>();
    for (const e of entries) members.add(e.clientId);
    return !members.has(clientId) && members.size >= max ? members.size : undefined;
  });
}
