import { CloseCode, type AckFrame, type PublishFrame } from '@lifeline/core/protocol';
import { allows } from '../auth';
import type { Session } from './session';
import { errorText } from './subscribeOps';

export function handlePublish(s: Session, f: PublishFrame): void {
  const { channel, ref, id } = f;
  if (!allows(s.claims, 'publish', channel)) {
    return s.error('FORBIDDEN', `token does not allow publish on ${channel}`, { ref, channel });
  }
  const wait = s.publishBucket.take();
  if (wait > 0) {
    s.error('RATE_LIMITED', 'publish rate limit reached', { ref, channel, retryAfterMs: wait });
    if (s.publishRefusals.hit()) s.close(CloseCode.ABUSE, 'publish flood');
    return;
  }
  s.ctx.broker.publish(channel, f.data, id).then(
    (result) => {
      const ack: AckFrame = { type: 'ack', ref, channel, id, offset: result.offset, epoch: result.epoch };
      if (result.duplicate) ack.duplicate = true;
      s.send(ack);
    },
    (err: unknown) => {
      s.error('BROKER_UNAVAILABLE', `not stored: ${errorText(err)}`, { ref, channel, retryAfterMs: 1000 });
    },
  );
}
