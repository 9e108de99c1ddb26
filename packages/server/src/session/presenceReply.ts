import type { PresenceMember, SubscribedFrame } from '@lifeline/core/protocol';
import { toMember, type PresenceEntry } from '../broker/types';

/**
 * The members' JSON per presence list a broker handed out frozen (the memory broker's,
 * shared until the channel's presence changes; the Redis broker's, shared by the `sub`s
 * that asked while its read was in flight). Every `subscribed` carries every member:
 * built and serialized for each `sub`, a channel of 500 members of 4 KB info cost ~2 MB of
 * JSON per reply, and 16 sockets re-subscribing within their `sub` rate kept a core busy.
 */
const membersJson = new WeakMap<readonly PresenceEntry[], string>();

/** One wire member per clientId (the broker may hold one entry per connection; its newest is last). */
function merged(entries: readonly PresenceEntry[]): PresenceMember[] {
  const byClient = new Map<string, PresenceMember>();
  for (const e of entries) byClient.set(e.clientId, toMember(e));
  return [...byClient.values()];
}

/**
 * The text of `reply` (which has no `presence` yet) with the members of `entries` as its
 * last field, `presence`: the same JSON `JSON.stringify({ ...reply, presence })` gives.
 * The members' part is made once per frozen list and reused while the list is the same.
 */
export function subscribedText(reply: SubscribedFrame, entries: readonly PresenceEntry[]): string {
  let members = membersJson.get(entries);
  if (members === undefined) {
    members = JSON.stringify(merged(entries));
    if (Object.isFrozen(entries)) membersJson.set(entries, members);
  }
  return `${JSON.stringify(reply).slice(0, -1)},"presence":${members}}`;
}
