import type { Channel, ChannelOptions, LifelineClient, Message, Position, Unsubscribe } from '@lifeline/core';
import { hold, type Holds } from './refCount';

/** A message handler as the hooks pass it. */
export type MessageHandler = (msg: Message<any>) => unknown;

// Per core channel (so per client: two providers over one client share subscriptions),
// then per name + options: a retry restarts every subscription of the channel.
const subscriptions = new WeakMap<Channel, Holds<Lease>>();

/** `a` is at or before `b`, in the same epoch. */
export const behind = (a?: Position | null, b?: Position | null) => !!a && a.epoch == b?.epoch && a.offset <= b.offset;

/** Subscription identity: the channel name plus its options by value. */
export function channelKey(name: string, options?: ChannelOptions): string {
  const json = JSON.stringify(options ?? {});
  return json == '{}' ? name : name + ' ' + json;
}

/**
 * One core subscription of a channel, shared by every hook with the same name and
 * options: their handlers, and the core subscription's remover (a retry replaces it).
 */
type Lease = Set<MessageHandler> & { off: Unsubscribe; park?: (letGo?: 1) => void; p?: boolean };

/**
 * Releases a handler (idempotent). Returns a function that takes it back as it was, with a new
 * release delay, within the same task: a component whose effect runs again without an unmount
 * (StrictMode, a new `releaseDelayMs`) keeps what it had, its handler's call in progress
 * included. Not taken back by the end of the task, it lets go (see acquireChannel).
 */
export type Release = () => (releaseDelayMs: number) => void;

// A new function per subscribe, on purpose: core keeps waiting for a busy handler that is
// subscribed again (the same function), and retry() must not wait for one that never
// settles; the busy wait per component is the entry's (acquireChannel).
const subscribe = (channel: Channel, lease: Lease) => (lease.off = channel.subscribe((msg) => fanOut(lease, msg, channel)));

/**
 * Adds `handler` to a reference-counted subscription of channel `name`: one
 * core subscription (one wire `sub`) however many components listen, kept for
 * `releaseDelayMs` after the last one leaves. A subscription the server refused
 * (`failed`) is not handed on as is: acquiring it subscribes again.
 * @returns its {@link Release}.
 */
export function acquireChannel(
  client: LifelineClient,
  name: string,
  options: ChannelOptions | undefined,
  handler: MessageHandler,
  releaseDelayMs: number,
  key = channelKey(name, options),
): Release {
  // Options reach core only when the subscription starts (`since` would move a channel
  // awaiting its `sub` answer again).
  const channel = client.channel(name);
  let table = subscriptions.get(channel);
  if (!table) subscriptions.set(channel, (table = new Map()));
  let lease!: Lease;
  let release!: () => void;
  // Also when taken back (see Release): the same lease then, its release timer cancelled.
  const take = (ms: number) => {
    [lease, release] = hold(
      table,
      key,
      () => {
        const lease = new Set() as Lease;
        lease.p = key == ' presence';
        subscribe(client.channel(name, options), lease);
        const stop = () => {
          lease.off();
          // Still subscribed(/ing): other handlers are on the channel and core goes on waiting
          // for this one, so a parked message is let go (nothing would replay it to a later lease
          // anyway). The last one off (now unsubscribing/idle) leaves it unsettled: core's next
          // subscriber abandons it and starts from the position, that message included.
          if (channel.getSnapshot().state[0] == 's') lease.park?.(1);
        };
        return [stop, lease];
      },
      ms,
    );
    on = true;
    lease.add(entry);
  };
  // A fresh wrapper per acquire: the same function acquired twice counts twice. It skips
  // what this handler already handled: when another handler of the channel throws, core
  // ('redeliver') hands the message, and what followed it, to every handler again. A new
  // epoch starts its offsets over, so only the same epoch is compared.
  let last: Message<any> | undefined;
  let on: boolean;
  let abandon: (() => void) | undefined;
  /** Settles when the handler's call in progress does (however it ends); unset when none runs. */
  let busy: Promise<void> | undefined;
  const entry: MessageHandler = (msg): unknown => {
    if (!on || behind(msg, last)) return;
    // Still on an earlier delivery: retry() re-subscribes, and core, no longer waiting for
    // a call made before, hands the message again. Taken after that call ends, so the
    // handler never runs twice at once, nor again on a message that call completes.
    if (busy) return busy.then(() => entry(msg));
    const result = handler(msg) as PromiseLike<unknown> | undefined;
    // Handled once it returned, or its promise resolved: one that threw or rejected gets it again.
    if (!result?.then) return void (last = msg);
    // Released (unmounted) while still on it: the fan-out stops waiting, and how it ends no
    // longer counts (one that never settles wedged the channel for the others; one that
    // rejects because its component aborted it was a HANDLER_ERROR and a redelivery).
    const call = new Promise<void>((resolve, reject) => {
      abandon = resolve;
      result.then(
        () => resolve(void (last = msg)),
        (e) => (on ? reject : resolve)(e),
      );
    });
    // No other call starts before this clears it: deliveries meanwhile wait on `busy`.
    const idle = () => void (busy = undefined);
    busy = call.then(idle, idle);
    return call;
  };
  take(releaseDelayMs);
  // What follows is not done again when taken back: no message is handed out within a task,
  // so nothing was parked or refused since it was released.
  // A message parked while the lease had no handler (a remount within the delay) is theirs now.
  lease.park?.();
  // One parked on another subscription with no component (kept for the delay) held this
  // component up until it was released: it now counts as handled there (a component coming
  // back to it shows it as its gap). Not for presence, which is handed no message.
  lease.p || table.forEach((l) => l.size || l.park?.(1));
  retryChannel(channel);
  return () => {
    on = false;
    lease.delete(entry);
    release();
    // Let go at the end of the task, unless taken back before (see Release): a call in
    // progress is then still awaited, and one that rejects is handed the message again.
    queueMicrotask(() => on || abandon?.());
    return take;
  };
}

/**
 * Subscribes `channel` again when the server refused it (state `failed`); otherwise does
 * nothing. Every lease on the channel takes part: core sends a new `sub` only for the
 * first handler of a channel that has none, so a handler added outside the hooks
 * (`channel.subscribe`) keeps the refusal.
 */
export function retryChannel(channel: Channel): void {
  if (channel.getSnapshot().state != 'failed') return;
  const leases = subscriptions.get(channel);
  // All off first: the last one off sends `unsub`, the first one back a new `sub`.
  leases?.forEach((l) => l.off());
  leases?.forEach((l) => subscribe(channel, l));
}

/**
 * Runs every handler even if one throws, then rethrows the first error so core
 * applies its `onHandlerError` policy; waits for async handlers so core only
 * advances the position once all of them are done (or their components unmounted).
 */
function fanOut(handlers: Lease, msg: Message<any>, channel: Channel): void | Promise<any> {
  // No handler (all unmounted, the lease kept for the delay): parked, not handled, so core
  // does not move past it. Fanned out once a handler is added, after the commit that added it
  // (StrictMode's remove and add again included); parked again if none is left by then.
  // Not for presence (its handler ignores messages), nor beside another useChannel's
  // subscription with a component on it: core waits for every subscription before the next
  // message, so the park held that component up for the whole delay. It got the message; one
  // coming back within the delay shows it as its gap.
  if (!handlers.size)
    return handlers.p || [...subscriptions.get(channel)!.values()].some((l) => !l.p && l.size)
      ? undefined
      : new Promise((go) => (handlers.park = go)).then((letGo) => letGo || fanOut(handlers, msg, channel));
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
