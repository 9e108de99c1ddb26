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
  /** Bytes of the frames in `buffer`: held for the peer, so they count against maxBufferedBytes. */
  private bufferedBytes = 0;
  private lastEpoch: string | undefined;
  private lastOffset = 0;

  constructor(
    private readonly session: Session,
    readonly channel: string,
  ) {}

  /** Start holding live traffic (called before attaching to the live feed and reading the log). */
  hold(): void {
    if (this.buffer) return;
    this.buffer = [];
    this.bufferedBytes = 0;
  }

  onMessage(msg: StoredMessage, frame: Buffer): void {
    if (this.buffer) this.keep({ kind: 'msg', msg, frame });
    else this.deliver(msg, frame);
  }

  onPresence(frame: Buffer): void {
    if (this.buffer) this.keep({ kind: 'presence', frame });
    else this.session.sendRaw(frame, 'presence');
  }

  /**
   * Holds live traffic during a (re)subscribe. A replay waits for the client to read it,
   * so what is held here is bounded like the socket's own queue: past maxBufferedBytes
   * the client is a slow consumer (1013) and nothing more is kept for it.
   */
  private keep(item: Buffered): void {
    const { session } = this;
    if (session.state === 'closed' || session.ws.readyState !== session.ws.OPEN) return;
    this.buffer!.push(item);
    this.bufferedBytes += item.frame.length;
    if (this.bufferedBytes > session.ctx.opts.maxBufferedBytes) {
      this.buffer = [];
      this.bufferedBytes = 0;
      session.closeSlowConsumer();
    }
  }

  /** Everything up to `head` of `epoch` has been sent (or skipped on purpose): release the buffer. */
  goLive(epoch: string, head: number): void {
    this.lastEpoch = epoch;
    this.lastOffset = head;
    const held = this.buffer ?? [];
    this.buffer = null;
    this.bufferedBytes = 0;
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
