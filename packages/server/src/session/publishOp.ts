import { CloseCode, type AckFrame, type PublishFrame } from '@lifeline/core/protocol';
import { allows } from '../auth';
import { isBrokerUnavailable } from '../broker/redisErrors';
import { refuseForbidden } from './forbidden';
import { PublishBlock, type BlockCode } from './publishBlock';
import type { Session } from './session';
import { errorText, unavailablePublishText } from './subscribeOps';

const BROKER_RETRY_MS = 1000;

/**
 * Handles one `pub`. The session runs publishes of a channel one after the other
 * (Session.onChannel), so the broker's answer to one is known before the next starts.
 * A retryable refusal blocks the channel for later publishes of the session (publishBlock.ts).
 */
export async function handlePublish(s: Session, f: PublishFrame): Promise<void> {
  const { channel, ref, id } = f;
  if (!allows(s.claims, 'publish', channel)) {
    return refuseForbidden(s, `token does not allow publish on ${channel}`, { ref, channel });
  }
  const clock = s.ctx.opts.clock;
  let block = s.publishBlocks.get(channel);
  if (block && block.id !== id) {
    const now = clock.now();
    // A lapse gives up on the awaited publish only: those refused behind it keep their order.
    if (!block.dropLapsed(now)) {
      s.publishBlocks.delete(channel);
      block = undefined;
    } else if (block.id !== id && !block.gaveUpOn(id)) {
      const retryAfterMs = block.retryAfterMs(now);
      block.refuseBehind(id, now + retryAfterMs);
      s.error(block.code, `publish ${block.id} on ${channel} must be stored first`, { ref, channel, retryAfterMs });
      // Behind a rate refusal it counts as one (a flood must not escape the abuse close by
      // being blocked); behind a broker outage it does not, as broker refusals never do.
      if (block.code === 'RATE_LIMITED' && s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'publish flood');
      return;
    }
  }
  // Here `block`, if any, waits for this very publish, unless this is a publish it gave up
  // on, back late: that one goes through as it comes, and its outcome leaves the block as it is.
  const late = block !== undefined && block.id !== id;
  const refuse = (code: BlockCode, message: string, retryAfterMs: number) => {
    const retryAt = clock.now() + retryAfterMs;
    if (!block) s.publishBlocks.set(channel, new PublishBlock(id, code, retryAt));
    // A late one is refused without blocking: it would hold up those it was given up for.
    else if (!late) block.refuseAgain(code, retryAt);
    s.error(code, message, { ref, channel, retryAfterMs });
  };
  /** This publish is done with: the block, if any, moves to the next one refused behind it. */
  const release = () => {
    if (block && !late && !block.next(clock.now())) s.publishBlocks.delete(channel);
  };
  // The awaited publish re-sent before its rate-limit slot keeps that slot if refused again.
  const wait = s.publishBucket.take(block && !late && block.code === 'RATE_LIMITED' ? block.retryAt : undefined);
  if (wait > 0) {
    refuse('RATE_LIMITED', 'publish rate limit reached', wait);
    if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'publish flood');
    return;
  }
  let result: Awaited<ReturnType<typeof s.ctx.broker.publish>>;
  try {
    // The message's `user` is the publishing token's `sub` (PROTOCOL.md §5), the claims in
    // force now (after an in-band auth, the new token's: the same sub, §10.1); a `user` the
    // client put in its frame is not read. None on an open server (no claims) or without `sub`.
    result = await s.ctx.broker.publish(channel, f.data, id, s.claims?.sub);
  } catch (err) {
    // Blocks later publishes of the channel also when the outcome is unknown: the re-send
    // (same id) is acked with the original offset if it landed, so order still holds.
    if (isBrokerUnavailable(err)) return refuse('BROKER_UNAVAILABLE', unavailablePublishText(err, true), BROKER_RETRY_MS);
    // Not an outage (a script or argument bug, data the broker cannot store): re-sending
    // cannot help, so no retry hint, and no block on the channel for it.
    release();
    return s.error('INTERNAL', `not stored: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel });
  }
  release();
  const ack: AckFrame = { type: 'ack', ref, channel, id, offset: result.offset, epoch: result.epoch };
  if (result.duplicate) ack.duplicate = true;
  s.send(ack);
}
