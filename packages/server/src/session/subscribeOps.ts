import { CloseCode, type SubscribeFrame, type SubscribedFrame, type UnsubscribeFrame } from '@lifeline/core/protocol';
import type { Logger } from '@lifeline/core';
import { allows } from '../auth';
import { isBrokerUnavailable, maybeStored } from '../broker/redisErrors';
import { serializeMessage } from '../channelHub';
import { limitPlan, planReplay, REPLAY_PAGE, ReplayBrokenError, type ReplayPlan } from '../replay';
import type { Session } from './session';
import { ChannelSubscription } from './subscription';
import { takeSubscribe } from './subscribeRate';
import { readGateOf } from '../replayReads';
import { ReplayClosedError } from '../replayBudget';
import { refuseForbidden } from './forbidden';
import { subscribedText } from './presenceReply';

/**
 * `retry-after-ms` of the close when a replay cannot be finished. A broker failure waits
 * like a refused subscribe (BROKER_UNAVAILABLE's retryAfterMs); lost continuity has
 * nothing to wait for (the next subscribe answers `recovered: false` at once), only a
 * moment so a channel trimmed under many replays does not bring them all back at once.
 */
const RETRY_AFTER_BROKER_MS = 1000;
const RETRY_AFTER_LOST_MS = 100;

/**
 * Handles one `sub`. `decided` (Session.onChannel) is called once the token has been
 * checked and the channel is held: an `auth` sent after this `sub` is handled from then
 * on, not after the replay, which goes at the client's reading pace or waits for the
 * node's replay budget (a renewal behind it was answered too late, and 4101 came first).
 */
export async function handleSubscribe(s: Session, f: SubscribeFrame, decided: () => void = () => undefined): Promise<void> {
  const { channel, ref } = f;
  if (!allows(s.claims, 'subscribe', channel)) {
    return refuseForbidden(s, `token does not allow subscribe on ${channel}`, { ref, channel });
  }
  const wait = takeSubscribe(s);
  if (wait > 0) {
    // The reference client subscribes again after retryAfterMs; a socket that floods on
    // regardless is closed 4201 like a publish flood (its refusals count with those).
    s.error('RATE_LIMITED', 'subscribe rate limit reached', { ref, channel, retryAfterMs: wait });
    if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'subscribe flood');
    return;
  }
  let sub = s.subs.get(channel);
  const isNew = !sub;
  if (!sub) {
    if (s.subs.size >= s.ctx.opts.maxChannels) {
      return s.error('TOO_MANY_CHANNELS', `at most ${s.ctx.opts.maxChannels} channels per connection`, { ref, channel });
    }
    sub = new ChannelSubscription(s, channel);
    s.subs.set(channel, sub);
  }
  sub.hold();
  // Nothing below reads the claims; an `auth` now finds the channel held (or being
  // subscribed to), as PROTOCOL.md §10.1 judges it.
  decided();
  let firstTurn: (() => void) | undefined;
  try {
    let plan: ReplayPlan & { more?: true };
    try {
      // Attach to the live feed before reading the log: nothing can fall between the two.
      // (What arrives meanwhile is held, and counted against maxBufferedBytes.)
      if (isNew) await s.ctx.hub.add(channel, sub);
      // A `since` may be answered with a replay, whose first page planReplay reads: in this
      // connection's turn (Session.replayTurn), as every later page is. Taken after it, each
      // replaying channel held its first page while waiting (100 channels: ~100 MiB for a
      // client that never reads).
      if (f.since) firstTurn = await s.replayTurn();
      const gate = readGateOf(s.ctx);
      // Every page read first waits for room in the node's replay byte budget (the first
      // page too: it is held until written like the rest), then for a read slot.
      const account = s.replayAccount;
      const runRead = async <T>(read: () => Promise<T>): Promise<T> => {
        await account.beforeRead();
        return gate.run(read);
      };
      plan = limitPlan(await planReplay(s.ctx.broker, channel, f.since, REPLAY_PAGE, runRead), f.limit);
      const presence = await s.ctx.broker.presenceList(channel);
      const reply: SubscribedFrame = { type: 'subscribed', ref, channel, epoch: plan.epoch, offset: plan.head };
      if (plan.recovered !== undefined) {
        reply.recovered = plan.recovered;
        if (plan.reason) reply.reason = plan.reason;
        // After a loss, the retained tail that follows (none: no `replay`, as before it was sent).
        if (plan.recovered || plan.count > 0) reply.replay = plan.count;
        if (plan.more) reply.more = true;
      }
      // Members serialized once per unchanged list (presenceReply.ts), not for every `sub`.
      s.sendRaw(subscribedText(reply, presence), 'subscribed');
    } catch (err) {
      // A reservation this sub made, in its own replay turn (released in `finally`): no other
      // page of the connection reads meanwhile. Without a turn (no `since`) it made none, and
      // the one outstanding is another channel's read in flight.
      if (firstTurn) s.replayAccount.unreserve();
      if (isNew) {
        s.subs.delete(channel);
        await s.ctx.hub.remove(channel, sub);
      } else {
        sub.release();
      }
      // Closed while its first page waited for the replay budget: nobody to answer.
      if (err instanceof ReplayClosedError) return;
      return s.error('BROKER_UNAVAILABLE', `subscribe failed: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel, retryAfterMs: 1000 });
    }
    // The first page is written in the turn it was read in; writeReplay ends that turn.
    const turn = firstTurn;
    firstTurn = undefined;
    // A page of a longer replay: live traffic after it would leave a hole between the two.
    // The subscription stays (the next `sub` for the channel replaces it) but sends nothing.
    if (await writeReplay(s, channel, plan, turn)) plan.more ? sub.park() : sub.goLive(plan.epoch, plan.head);
  } finally {
    firstTurn?.();
  }
}

/**
 * Writes the replay a page at a time, at the pace the client reads it (live traffic is
 * held by the subscription meanwhile): written in one go, a backlog above
 * maxBufferedBytes closed a healthy client as a slow consumer. False when the
 * connection can take no more, or was closed because the replay could not be finished.
 */
async function writeReplay(s: Session, channel: string, plan: ReplayPlan, firstTurn?: () => void): Promise<boolean> {
  const { stats } = s.ctx;
  // Bytes of the current page not yet handed to the socket (stats.replayBytes), given back
  // frame by frame and, whatever ends the replay, in `finally`.
  let held = 0;
  // The node's replay budget (replayBudget.ts): a page is charged from its read until each
  // frame is with the kernel (ws calls back), so frames queued on a socket that is not read
  // still count; what is never handed over is given back here or when the connection closes.
  const account = s.replayAccount;
  const pages = plan.pages[Symbol.asyncIterator]();
  try {
    for (;;) {
      // Read and written in the connection's turn (Session.replayTurn): one page held per
      // connection, not one per replaying channel.
      const endTurn = firstTurn ?? (await s.replayTurn());
      firstTurn = undefined;
      try {
        const next = await pages.next();
        if (next.done) return true;
        const frames = next.value.map(serializeMessage);
        held = frames.reduce((n, f) => n + f.length, 0);
        stats.replayBytes += held;
        account.settle(held);
        for (const frame of frames) {
          held -= frame.length;
          stats.replayBytes -= frame.length;
          const bytes = frame.length;
          // Gone (or closing): reading more pages for it would only hold memory.
          if (!s.sendRaw(frame, 'msg', () => account.release(bytes))) {
            account.release(bytes); // the rest of the page (`held`) in `finally`
            return false;
          }
          await s.paced();
        }
      } finally {
        // A reservation no page came of (the replay ended, or a read failed) goes back
        // before the turn passes to another page of this connection.
        account.unreserve();
        endTurn();
      }
      // paced() resolves at once below a quarter of maxBufferedBytes, and a memory broker's read
      // at once too: a large replay ran in one synchronous stretch (60,000 messages stalled
      // every other connection of the server 170-394 ms). One turn of the loop per page.
      await new Promise<void>((r) => setImmediate(r));
    }
  } catch (err) {
    // Closed while its next page waited for the replay budget: nothing left to tell it.
    if (err instanceof ReplayClosedError) return false;
    // `subscribed` promised the whole gap: going live now would skip the rest silently. A
    // close the client retries makes it subscribe again from what it has, and that
    // answer tells the loss (`recovered: false`) or, after a broker failure, replays it.
    const lost = err instanceof ReplayBrokenError;
    if (lost) s.ctx.opts.logger.warn('replay interrupted', { channel, reason: err.reason });
    else errorText(err, s.ctx.opts.logger, { channel });
    s.close(CloseCode.TRY_AGAIN_LATER, `replay interrupted; retry-after-ms=${lost ? RETRY_AFTER_LOST_MS : RETRY_AFTER_BROKER_MS}`);
    return false;
  } finally {
    // Not reached by the loop (a throw before it): the turn it was handed ends here.
    firstTurn?.();
    stats.replayBytes -= held;
    // Frames of the page never handed to the socket (a throw mid-page).
    account.release(held);
    // Ended early (closed, a failure): the page reader's own cleanup runs now.
    pages.return?.(undefined).catch(() => undefined);
  }
}

export async function handleUnsubscribe(s: Session, f: UnsubscribeFrame): Promise<void> {
  const sub = s.subs.get(f.channel);
  if (sub) {
    s.subs.delete(f.channel);
    await s.ctx.hub.remove(f.channel, sub);
  }
  s.send({ type: 'unsubscribed', ref: f.ref, channel: f.channel });
}

/**
 * What a client is told about a broker failure: its kind, never the broker's own text
 * (a Redis error names internal hosts and ports, scripts, memory limits). An error that
 * is not an outage is a bug: its text goes to the server's logger instead.
 */
/**
 * The message of a publish refused with BROKER_UNAVAILABLE. A write the broker sent and
 * got no answer for (`maybeStored`: a timeout against a stalled Redis) may land after
 * all, so it must not be called "not stored": the client cannot tell, and re-sending with
 * the same id is what settles it (the dedupe stores it once; `duplicate: true` says the
 * first one landed). Without an id (HTTP publish) a re-send may store it twice.
 */
export function unavailablePublishText(err: unknown, hasId: boolean): string {
  if (!maybeStored(err)) return 'not stored: broker unavailable';
  return hasId
    ? 'outcome unknown: the broker did not answer in time and the message may have been stored; re-send it with the same id (it is stored once)'
    : 'outcome unknown: the broker did not answer in time and the message may have been stored; without an "id" a re-send may store it twice';
}

export function errorText(err: unknown, logger: Logger, about: Record<string, unknown> = {}): string {
  if (isBrokerUnavailable(err)) return 'broker unavailable';
  logger.error('broker error', { ...about, err: err instanceof Error ? err.message : String(err) });
  return 'broker error';
}
