import type { ChannelOptions, LifelineClient, Message, Unsubscribe } from '@lifeline/core';
import { hold, type Holds } from './refCount';

/** A message handler as the hooks pass it. */
export type MessageHandler = (msg: Message<any>) => void | Promise<void>;

// Per client, so two providers over one client share subscriptions.
const subscriptions = new WeakMap<LifelineClient, Holds>();

/** Subscription identity: the channel name plus its options by value. */
export function channelKey(name: string, options?: ChannelOptions): string {
  const json = JSON.stringify(options ?? {});
  return json === '{}' ? name : `${name} ${json}`;
}

/**
 * Adds `handler` to a reference-counted subscription of channel `name`: one
 * core subscription (one wire `sub`) however many components listen, kept for
 * `releaseDelayMs` after the last one leaves.
 */
export function acquireChannel(
  client: LifelineClient,
  name: string,
  options: ChannelOptions | undefined,
  handler: MessageHandler,
  releaseDelayMs: number,
): Unsubscribe {
  let table = subscriptions.get(client);
  if (!table) subscriptions.set(client, (table = new Map()));
  const [handlers, release] = hold(
    table,
    channelKey(name, options),
    () => {
      const all = new Set<MessageHandler>();
      return [client.channel(name, options).subscribe((msg) => fanOut(all, msg)), all];
    },
    releaseDelayMs,
  );
  // A fresh wrapper per acquire: the same function acquired twice counts twice. It skips
  // what this handler already handled: when another handler of the channel throws, core
  // ('redeliver') hands the message, and what followed it, to every handler again. A new
  // epoch starts its offsets over, so only the same epoch is compared.
  let last: Message<any> | undefined;
  const entry: MessageHandler = (msg) =>
    last?.epoch === msg.epoch && msg.offset <= last.offset
      ? undefined
      : // Handled once it returned, or its promise resolved: one that threw or rejected gets it again.
        handler(msg)?.then?.(() => void (last = msg)) ?? void (last = msg);
  handlers.add(entry);
  return () => {
    handlers.delete(entry);
    release();
  };
}

/**
 * Runs every handler even if one throws, then rethrows the first error so core
 * applies its `onHandlerError` policy; waits for async handlers so core only
 * advances the position once all of them are done.
 */
function fanOut(handlers: Set<MessageHandler>, msg: Message<any>): void | Promise<void> {
  const pending: unknown[] = [];
  let failure: [unknown] | undefined;
  for (const handler of [...handlers]) {
    try {
      const result = handler(msg);
      if (result) pending.push(result);
    } catch (e) {
      failure ??= [e];
    }
  }
  if (failure) throw failure[0];
  // Core only awaits the promise; its value is unused.
  if (pending.length) return Promise.all(pending) as Promise<unknown> as Promise<void>;
}
