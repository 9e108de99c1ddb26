import type { ChannelOptions, LifelineClient, Message, Unsubscribe } from '@lifeline/core';
import { hold, type Holds } from './refCount';

/** A message handler as the hooks pass it. */
export type MessageHandler = (msg: Message<any>) => unknown;

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
        (handler(msg) as PromiseLike<unknown> | undefined)?.then?.(() => void (last = msg)) ?? void (last = msg);
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
function fanOut(handlers: Set<MessageHandler>, msg: Message<any>) {
  let failure: [unknown] | undefined;
  const fail = (e: unknown) => void (failure ??= [e]);
  // Settled, not Promise.all's first rejection: core redelivers only once every handler is
  // done (a slow one was handed the message again while still on it), and a rejection next
  // to a handler that threw is caught (it was unhandled).
  const pending = [...handlers].map((handler) => {
    try {
      return (handler(msg) as PromiseLike<unknown> | undefined)?.then(null, fail);
    } catch (e) {
      fail(e);
    }
  });
  const end = () => {
    if (failure) throw failure[0];
  };
  return pending.some(Boolean) ? Promise.all(pending).then(end) : end();
}
