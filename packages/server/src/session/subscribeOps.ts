import type { PresenceMember, SubscribeFrame, SubscribedFrame, UnsubscribeFrame } from '@lifeline/core/protocol';
import type { Logger } from '@lifeline/core';
import { allows } from '../auth';
import { isBrokerUnavailable } from '../broker/redisErrors';
import { toMember, type PresenceEntry } from '../broker/types';
import { serializeMessage } from '../channelHub';
import { planReplay } from '../replay';
import type { Session } from './session';
import { ChannelSubscription } from './subscription';

/** Replay page size: one broker read per this many messages. */
const REPLAY_PAGE = 1000;

export async function handleSubscribe(s: Session, f: SubscribeFrame): Promise<void> {
  const { channel, ref } = f;
  if (!allows(s.claims, 'subscribe', channel)) {
    return s.error('FORBIDDEN', `token does not allow subscribe on ${channel}`, { ref, channel });
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
  try {
    // Attach to the live feed before reading the log: nothing can fall between the two.
    if (isNew) await s.ctx.hub.add(channel, sub);
    const plan = await planReplay(s.ctx.broker, channel, f.since, REPLAY_PAGE);
    const presence = mergePresence(await s.ctx.broker.presenceList(channel));
    const reply: SubscribedFrame = { type: 'subscribed', ref, channel, epoch: plan.epoch, offset: plan.head };
    if (plan.recovered !== undefined) {
      reply.recovered = plan.recovered;
      if (plan.reason) reply.reason = plan.reason;
      else reply.replay = plan.messages.length;
    }
    reply.presence = presence;
    s.send(reply);
    // At the pace the client reads (live traffic is held by `sub` meanwhile): written in
    // one go, a backlog above maxBufferedBytes closed a healthy client as a slow consumer.
    for (const m of plan.messages) {
      if (!s.sendRaw(serializeMessage(m), 'msg')) break;
      await s.paced();
    }
    sub.goLive(plan.epoch, plan.head);
  } catch (err) {
    if (isNew) {
      s.subs.delete(channel);
      await s.ctx.hub.remove(channel, sub);
    } else {
      sub.release();
    }
    s.error('BROKER_UNAVAILABLE', `subscribe failed: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel, retryAfterMs: 1000 });
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

/** One wire member per clientId (the broker may hold one entry per connection). */
export function mergePresence(entries: PresenceEntry[]): PresenceMember[] {
  const byClient = new Map<string, PresenceMember>();
  for (const e of entries) byClient.set(e.clientId, toMember(e));
  return [...byClient.values()];
}

/**
 * What a client is told about a broker failure: its kind, never the broker's own text
 * (a Redis error names internal hosts and ports, scripts, memory limits). An error that
 * is not an outage is a bug: its text goes to the server's logger instead.
 */
export function errorText(err: unknown, logger: Logger, about: Record<string, unknown> = {}): string {
  if (isBrokerUnavailable(err)) return 'broker unavailable';
  logger.error('broker error', { ...about, err: err instanceof Error ? err.message : String(err) });
  return 'broker error';
}
