import type { Channel, LifelineClient, PresenceMember } from '@lifeline/core';
import { acquireChannel } from './channelLeases';

interface PresenceLease {
  count: number;
  /** Presence needs a subscription: the lease holds one until after it left. */
  releaseChannel: () => void;
  /** JSON of the info last entered with. */
  entered?: string;
  timer?: ReturnType<typeof setTimeout>;
}

const leases = new WeakMap<Channel<any>, PresenceLease>();

// Enter failures also reach the channel's error snapshot; a CLIENT_CLOSED rejection
// during teardown is expected. Catching keeps them from becoming unhandled.
const ignore = () => {};

/**
 * Enters presence on channel `name` with `info`, reference-counted like
 * subscriptions: the last release leaves after `releaseDelayMs` (then releases
 * the subscription), so StrictMode's remount sends no leave/enter. A changed
 * `info` is sent as a new enter (an update).
 */
export function acquirePresence(
  client: LifelineClient,
  name: string,
  info: unknown,
  releaseDelayMs: number,
): () => void {
  const channel = client.channel(name);
  let lease = leases.get(channel);
  if (!lease) {
    const releaseChannel = acquireChannel(client, name, undefined, ignore, releaseDelayMs);
    leases.set(channel, (lease = { count: 0, releaseChannel }));
  }
  clearTimeout(lease.timer);
  lease.count++;
  const json = JSON.stringify(info) ?? '';
  if (lease.entered !== json) {
    lease.entered = json;
    channel.presence.enter(info).catch(ignore);
  }
  const held = lease;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.count) return;
    held.timer = setTimeout(() => {
      leases.delete(channel);
      channel.presence.leave().catch(ignore);
      held.releaseChannel();
    }, releaseDelayMs);
  };
}

export interface PresenceStore {
  get(): readonly PresenceMember[];
  subscribe(onChange: () => void): () => void;
}

const stores = new WeakMap<Channel<any>, PresenceStore>();

/**
 * A snapshot of the channel's members that reads through to core and keeps the
 * previous array while the members are the same, so it is safe for
 * useSyncExternalStore even if core returns a fresh array per call.
 */
export function presenceStore(channel: Channel<any>): PresenceStore {
  let store = stores.get(channel);
  if (store) return store;
  let members: readonly PresenceMember[] = [];
  store = {
    get() {
      const now = channel.presence.members();
      if (now.length !== members.length || now.some((m, i) => m !== members[i])) members = now;
      return members;
    },
    subscribe(onChange) {
      channel.on('presence', onChange);
      return () => void channel.off('presence', onChange);
    },
  };
  stores.set(channel, store);
  return store;
}
