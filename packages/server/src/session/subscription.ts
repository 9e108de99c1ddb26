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
  /** After a page of a limited replay (`more`): live messages are dropped until the next subscribe. */
  private parked = false;

  constructor(
    private readonly session: Session,
    readonly channel: string,
  ) {}

  /** Bytes of live traffic held now for this subscription (0 when it is not holding). */
  get heldBytes(): number {
    return this.bufferedBytes;
  }

  /** Start holding live traffic (called before attaching to the live feed and reading the log). */
  hold(): void {
    if (this.buffer) return;
    this.buffer = [];
    this.bufferedBytes = 0;
  }

  onMessage(msg: StoredMessage, frame: Buffer): void {
    if (this.buffer) this.keep({ kind: 'msg', msg, frame });
    else if (!this.parked) this.deliver(msg, frame);
  }

  onPresence(frame: Buffer): void {
    if (this.buffer) this.keep({ kind: 'presence', frame });
    else this.session.sendRaw(frame, 'presence');
  }

  /**
   * Holds live traffic during a (re)subscribe. A replay waits for the client to read it,
   * so what is held here is bounded like the socket's own queue, and together with it:
   * the session adds up the socket queue and what every one of its subscriptions holds
   * (Session.holdMore), and past maxBufferedBytes the client is a slow consumer (1013).
   * Each subscription checked only its own, so one connection replaying k channels could
   * hold k × the limit (1.6 GB with 100 channels) besides its socket queue.
   */
  private keep(item: Buffered): void {
    const { session } = this;
    // A subscription no longer in the session holds nothing: nobody would release it. Its
    // bytes are not taken off the session's total here (a recount may have done so
    // already); left in, they are an overcount the next recount corrects.
    if (session.subs.get(this.channel) !== this) {
      this.buffer = [];
      this.bufferedBytes = 0;
      return;
    }
    // A closing connection gets nothing more; a close from outside Session.close (a server
    // shutdown) is noticed here, and everything the connection holds goes.
    if (session.state === 'closed' || session.ws.readyState !== session.ws.OPEN) {
      session.dropHeld();
      return;
    }
    this.buffer!.push(item);
    this.bufferedBytes += item.frame.length;
    session.holdMore(item.frame.length);
  }

  /**
   * Forgets what is held without delivering it (the connection is closing: the client
   * catches up by replay), and holds nothing more until goLive or release. Its bytes leave
   * the session's total.
   */
  dropHeld(): void {
    if (this.buffer === null) return;
    this.session.holdLess(this.bufferedBytes);
    this.buffer = [];
    this.bufferedBytes = 0;
  }

  /** Everything up to `head` of `epoch` has been sent (or skipped on purpose): release the buffer. */
  goLive(epoch: string, head: number): void {
    this.parked = false;
    this.lastEpoch = epoch;
    this.lastOffset = head;
    const held = this.buffer ?? [];
    // Moved to the socket queue below, where the session counts them again.
    this.session.holdLess(this.bufferedBytes);
    this.buffer = null;
    this.bufferedBytes = 0;
    for (const item of held) {
      if (item.kind === 'msg') this.deliver(item.msg, item.frame);
      else this.session.sendRaw(item.frame, 'presence');
    }
  }

  /**
   * A page of a limited replay was sent and more is owed: the live messages held meanwhile
   * are dropped, as are those to come (the client asks again from the page's end; going
   * live would leave a hole). Presence still goes through: it is not part of the log.
   */
  park(): void {
    const held = this.buffer ?? [];
    // Dropped (only presence goes on to the socket): no longer held, so no longer counted.
    this.session.holdLess(this.bufferedBytes);
    this.buffer = null;
    this.bufferedBytes = 0;
    this.parked = true;
    for (const item of held) if (item.kind === 'presence') this.session.sendRaw(item.frame, 'presence');
  }

  /** Releases the buffer without a position (the subscribe failed but an older subscription stays). */
  release(): void {
    if (this.parked) return this.park();
    if (this.lastEpoch === undefined) {
      this.session.holdLess(this.bufferedBytes);
      this.buffer = null;
      this.bufferedBytes = 0;
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
