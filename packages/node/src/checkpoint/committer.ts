import type { Position } from '@lifeline/core';
import { LifelineNodeError } from '../errors';
import type { CheckpointStore } from './types';

/**
 * Writes one channel's acknowledged position to a store: one write at a time, and
 * while one is in flight only the newest requested position is kept (older ones are
 * covered by it). Tracks which delivery sequence number is durable.
 */
export class CheckpointCommitter {
  private target: { position: Position; seq: number } | null = null;
  /** The newest position ever requested (written again by retry() after a failure). */
  private latest: { position: Position; seq: number } | null = null;
  private writing: Promise<void> | null = null;
  private durableSeq = 0;
  private requestedSeq = 0;
  private durablePosition: Position | null;
  private failure: LifelineNodeError | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: CheckpointStore | null,
    private readonly channel: string,
    start: Position | null,
  ) {
    this.durablePosition = start;
  }

  /** Highest delivery sequence number whose position is durable. */
  get committedSeq(): number {
    return this.durableSeq;
  }

  /**
   * Highest delivery sequence number ever requested (durable or not). A later
   * iteration numbers its deliveries after it, so `delivered − committedSeq` keeps
   * counting what is not durable yet across iterations.
   */
  get lastRequestedSeq(): number {
    return this.requestedSeq;
  }

  /** The durable position (what a restart resumes after). */
  get position(): Position | null {
    return this.durablePosition;
  }

  /**
   * Set once a save failed; the consumer must stop rather than run ahead of its
   * checkpoint. Cleared by {@link retry} (a new iteration on the channel).
   */
  get error(): LifelineNodeError | null {
    return this.failure;
  }

  /**
   * Forgets a failed save and writes the newest requested position again (when it is
   * not durable yet): a store that failed once (Redis restarting, a network blip) does
   * not fail every later iteration of the channel. No-op without a failure.
   */
  retry(): void {
    if (!this.failure) return;
    this.failure = null;
    const latest = this.latest;
    if (latest && latest.seq > this.durableSeq) this.target ??= latest;
    if (this.target && !this.writing) this.writing = this.loop();
    this.notify();
  }

  /** Nothing to write, nothing being written, no failed save to write again. */
  get idle(): boolean {
    return this.target === null && this.writing === null && this.failure === null;
  }

  /** Asks for `position` (the acknowledged prefix ending at `seq`) to become durable. */
  request(position: Position, seq: number): void {
    this.requestedSeq = seq;
    this.latest = { position, seq };
    if (!this.store) {
      this.durableSeq = seq;
      this.durablePosition = position;
      this.notify();
      return;
    }
    this.target = { position, seq };
    if (!this.writing) this.writing = this.loop();
  }

  /** Resolves once every requested position is durable (or a save failed). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Called after every change of `committedSeq` or `error`. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async loop(): Promise<void> {
    while (this.target && !this.failure) {
      const { position, seq } = this.target;
      this.target = null;
      try {
        await this.store!.save(this.channel, position);
        this.durableSeq = seq;
        this.durablePosition = position;
      } catch (error) {
        this.failure =
          error instanceof LifelineNodeError
            ? error
            : new LifelineNodeError('CHECKPOINT_FAILED', `checkpoint save failed for ${this.channel}`, {
                cause: error,
                channel: this.channel,
              });
      }
      this.notify();
    }
    this.writing = null;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
