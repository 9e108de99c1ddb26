import { CloseCode, type AckFrame, type PublishFrame } from '@lifeline/core/protocol';
import { allows } from '../auth';
import { isBrokerUnavailable } from '../broker/redisErrors';
import type { Session } from './session';
import { errorText, unavailablePublishText } from './subscribeOps';

/**
 * A publish refused with a retryable code (RATE_LIMITED, BROKER_UNAVAILABLE): the
 * client sends it again with the same id. Until it does, later publishes of the same
 * session on the same channel are refused the same way, so they cannot be stored ahead
 * of it: one publisher's messages land in the log in publish order. The block lapses
 * `BLOCK_GRACE_MS` after the retry was due, in case the client gave up on that publish.
 */
export interface PublishBlock {
  id: string;
  code: 'RATE_LIMITED' | 'BROKER_UNAVAILABLE';
  /** When the refused publish may be retried. */
  retryAt: number;
}

const BLOCK_GRACE_MS = 5000;
const BROKER_RETRY_MS = 1000;
/** retryAfterMs behind a block whose refused publish was due and did not come. */
const BLOCKED_RETRY_MS = 1000;

/**
 * Handles one `pub`. The session runs publishes of a channel one after the other
 * (Session.onChannel), so the broker's answer to one is known before the next starts.
 */
export async function handlePublish(s: Session, f: PublishFrame): Promise<void> {
  const { channel, ref, id } = f;
  if (!allows(s.claims, 'publish', channel)) {
    return s.error('FORBIDDEN', `token does not allow publish on ${channel}`, { ref, channel });
  }
  const clock = s.ctx.opts.clock;
  const block = s.publishBlocks.get(channel);
  if (block && block.id !== id && clock.now() < block.retryAt + BLOCK_GRACE_MS) {
    // Until its retry is due, come back with it; past that the client may have given up
    // on it, and retrying every millisecond until the block lapses would only flood.
    const left = block.retryAt - clock.now();
    s.error(block.code, `publish ${block.id} on ${channel} must be stored first`, { ref, channel, retryAfterMs: left > 0 ? left : BLOCKED_RETRY_MS });
    // Behind a rate refusal it counts as one (a flood must not escape the abuse close by
    // being blocked); behind a broker outage it does not, as broker refusals never do.
    if (block.code === 'RATE_LIMITED' && s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'publish flood');
    return;
  }
  if (block) s.publishBlocks.delete(channel);
  const refuse = (code: PublishBlock['code'], message: string, retryAfterMs: number) => {
    s.publishBlocks.set(channel, { id, code, retryAt: clock.now() + retryAfterMs });
    s.error(code, message, { ref, channel, retryAfterMs });
  };
  const wait = s.publishBucket.take();
  if (wait > 0) {
    refuse('RATE_LIMITED', 'publish rate limit reached', wait);
    if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'publish flood');
    return;
  }
  let result: Awaited<ReturnType<typeof s.ctx.broker.publish>>;
  try {
    result = await s.ctx.broker.publish(channel, f.data, id);
  } catch (err) {
    // Blocks later publishes of the channel also when the outcome is unknown: the re-send
    // (same id) is acked with the original offset if it landed, so order still holds.
    if (isBrokerUnavailable(err)) return refuse('BROKER_UNAVAILABLE', unavailablePublishText(err, true), BROKER_RETRY_MS);
    // Not an outage (a script or argument bug, data the broker cannot store): re-sending
    // cannot help, so no retry hint and no block on the channel.
    return s.error('INTERNAL', `not stored: ${errorText(err, s.ctx.opts.logger, { channel })}`, { ref, channel });
  }
  const ack: AckFrame = { type: 'ack', ref, channel, id, offset: result.offset, epoch: result.epoch };
  if (result.duplicate) ack.duplicate = true;
  s.send(ack);
}
