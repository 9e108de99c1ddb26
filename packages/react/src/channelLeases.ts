import type { ChannelOptions, LifelineClient, Message, Unsubscribe } from '@lifeline/core';

/** A message handler as the hooks pass it. */
export type MessageHandler = (msg: Message<any>) => void | Promise<void>;

interface Lease {
  handlers: Set<MessageHandler>;
  off: Unsubscribe;
  timer?: ReturnType<typeof setTimeout>;
}

// Keyed by client so two providers over one client share subscriptions.
const leasesByClient = new WeakMap<LifelineClient, Map<string, Lease>>();

/** Subscription identity: the channel name plus its options by value. */
export function channelKey(name: string, options?: ChannelOptions): string {
  const json = options ? JSON.stringify(options) : '{}';
  return json === '{}' ? name : `${name} ${json}`;
}

/**
 * Adds `handler` to a reference-counted channel subscription. The last release
 * keeps the subscription for `releaseDelayMs`, so an unmount followed by a
 * mount (StrictMode, route changes) causes no unsubscribe/subscribe on the wire.
 */
export function acquireChannel(
  client: LifelineClient,
  name: string,
  options: ChannelOptions | undefined,
  handler: MessageHandler,
  releaseDelayMs: number,
): Unsubscribe {
  const key = channelKey(name, options);
  let leases = leasesByClient.get(client);
  if (!leases) leasesByClient.set(client, (leases = new Map()));
  let lease = leases.get(key);
  if (!lease) {
    const handlers = new Set<MessageHandler>();
    lease = { handlers, off: client.channel(name, options).subscribe((msg) => fanOut(handlers, msg)) };
    leases.set(key, lease);
  }
  clearTimeout(lease.timer);
  // A fresh wrapper per acquire: the same function acquired twice counts twice.
  const entry: MessageHandler = (msg) => handler(msg);
  lease.handlers.add(entry);
  const held = lease;
  const map = leases;
  return () => {
    if (!held.handlers.delete(entry) || held.handlers.size) return;
    held.timer = setTimeout(() => {
      map.delete(key);
      held.off();
    }, releaseDelayMs);
  };
}

/**
 * Runs every handler even if one throws, then rethrows the first error so core
 * applies its `onHandlerError` policy; waits for async handlers so core only
 * advances the position once all of them are done.
 */
function fanOut(handlers: Set<MessageHandler>, msg: Message<any>): void | Promise<void> {
  const pending: Promise<void>[] = [];
  let failed = false;
  let failure: unknown;
  for (const handler of [...handlers]) {
    try {
      const result = handler(msg);
      if (result) pending.push(result);
    } catch (e) {
      if (!failed) [failed, failure] = [true, e];
    }
  }
  if (failed) throw failure;
  if (pending.length) return Promise.all(pending).then(() => undefined);
}
