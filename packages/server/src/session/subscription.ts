import type { StoredMessage } from '../broker/types';
import type { HubSubscriber } from '../channelHub';
import type { Session } from './session';

type Buffered = { kind: 'msg'; msg: StoredMessage; frame: Buffer } | { kind: 'presence'; frame: Buffer };

/**
 * One session's subscription to one channel. While a (re)subscribe reads the log it
 * buffers live traffic; `goLive` then delivers the buffer, dropping every message at
 * or below the replayed head, so the seam has no gap and no duplicate.
 */
export class ChannelSubscription implements HubSubscriber {
  private buffer: Buffered[] | null = null;
  private lastEpoch: string | undefined;
  private lastOffset = 0;

  constructor(
    private readonly session: Session,
    readonly channel: string,
  ) {}

  /** Start holding live traffic (called before attaching to the live feed and reading the log). */
  hold(): void {
    this.buffer ??= [];
  }

  onMessage(msg: StoredMessage, frame: Buffer): void {
    if (this.buffer) this.buffer.push({ kind: 'msg', msg, frame });
    else this.deliver(msg, frame);
  }

  onPresence(frame: Buffer): void {
    if (this.buffer) this.buffer.push({ kind: 'presence', frame });
    else this.session.sendRaw(frame, 'presence');
  }

  /** Everything up to `head` of `epoch` has been sent (or skipped on purpose): release the buffer. */
  goLive(epoch: string, head: number): void {
    this.lastEpoch = epoch;
    this.lastOffset = head;
    const held = this.buffer ?? [];
    this.buffer = null;
    for (const item of held) {
      if (item.kind === 'msg') this.deliver(item.msg, item.frame);
      else this.session.sendRaw(item.frame, 'presence');
    }
  }

  /** Releases the buffer without a position (the subscribe failed but an older subscription stays). */
  release(): void {
    if (this.lastEpoch === undefined) {
      this.buffer = null;
      return;
    }
    this.goLive(this.lastEpoch, this.lastOffset);
  }

  private deliver(msg: StoredMessage, frame: Buffer): void {
    if (msg.epoch === this.lastEpoch && msg.offset <= this.lastOffset) return;
    this.lastEpoch = msg.epoch;
    this.lastOffset = msg.offset;
    this.session.sendRaw(frame, 'msg');
  }
}
