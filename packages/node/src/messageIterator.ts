import type { Channel, GapEvent, Message, Position } from '@lifeline/core';
import { onAbort } from './abortListeners';
import { AckTracker } from './ackTracker';
import { WatermarkQueue } from './boundedQueue';
import type { CheckpointStore } from './checkpoint/types';
import {
  commitAcknowledgedLeftover,
  consumerStateOf,
  releaseIdleState,
  type ConsumerItem,
  type ConsumerState,
  type GapItem,
  type MessageItem,
} from './consumerState';
import { checkOptionsObject, LifelineNodeError, showValue } from './errors';
import { checkKnownKeys, MESSAGES_OPTION_KEYS } from './optionKeys';
import { MESSAGES_DEFAULTS, type AckableMessage, type IteratorDeps, type MessagesOptions } from './messagesOptions';

export { MESSAGES_DEFAULTS, type AckableMessage, type GapPolicy, type IteratorDeps, type MessagesOptions } from './messagesOptions';

const DONE = { done: true, value: undefined } as const;

/** The async iterator behind `messages()`. */
export class MessageIterator<T = unknown> implements AsyncIterableIterator<AckableMessage<T>> {
  private readonly opts: Required<Omit<MessagesOptions, 'signal' | 'lowWaterMark'>> & { lowWaterMark: number };
  private queue: WatermarkQueue<ConsumerItem<T>>;
  private tracker: AckTracker<ConsumerItem<T>> | null = null;
  private state: ConsumerState<T> | null = null;
  private channel: Channel<T> | null = null;
  private started: Promise<void> | null = null;
  private lastYieldedSeq = 0;
  private stopping: 'abort' | 'drain' | null = null;
  private readonly stopRequest = new AbortController();
  private failure: unknown = null;
  private finished = false;
  private finishing: Promise<void> | null = null;
  /** Set by terminate(): ending does not wait for a checkpoint write in flight. */
  private abandoned = false;
  private abandonFlush: (() => void) | null = null;
  /** Set while start() waits for the checkpoint load: fail() ends that wait. */
  private interruptOpen: (() => void) | null = null;
  private waiter: (() => void) | null = null;
  /** The gap being decided on (or refused): given back with the leftover if the iteration ends. */
  private gapInHand: GapItem | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private cleanups: Array<() => void> = [];
  /** Without a socket to pause, the enqueueing handler holds core back with a promise. */
  private heldHandlers: Array<() => void> = [];
  /**
   * With `autoAck: false`, an iteration that ended with `done` because it was asked to stop:
   * the messages then handed out and not yet acknowledged (tasks still running). A drain
   * waits for their acks ({@link acknowledged}).
   */
  private awaitingAcks = new Set<MessageItem<T>>();
  private acksSettled: Array<() => void> = [];

  constructor(
    private readonly deps: IteratorDeps<T>,
    private readonly options: MessagesOptions = {},
  ) {
    checkOptionsObject(options, 'messages()');
    checkKnownKeys(options, MESSAGES_OPTION_KEYS, 'messages()');
    const highWaterMark = options.highWaterMark ?? MESSAGES_DEFAULTS.highWaterMark;
    // Counts of messages: 1.5 (or '64') passed the queue's range check and meant a count of 2.
    if (!(Number.isSafeInteger(highWaterMark) && highWaterMark >= 1)) {
      throw new LifelineNodeError('BAD_OPTION', `highWaterMark must be an integer >= 1 (got ${showValue(highWaterMark)})`);
    }
    if (options.lowWaterMark !== undefined && !Number.isSafeInteger(options.lowWaterMark)) {
      throw new LifelineNodeError('BAD_OPTION', `lowWaterMark must be an integer 0 … highWaterMark − 1 (got ${showValue(options.lowWaterMark)})`);
    }
    this.opts = {
      highWaterMark,
      lowWaterMark: options.lowWaterMark ?? Math.floor(highWaterMark / 2),
      autoAck: options.autoAck ?? MESSAGES_DEFAULTS.autoAck,
      maxUncommitted: options.maxUncommitted ?? MESSAGES_DEFAULTS.maxUncommitted,
      onGap: options.onGap ?? MESSAGES_DEFAULTS.onGap,
    };
    if (!(Number.isInteger(this.opts.maxUncommitted) && this.opts.maxUncommitted >= 1)) {
      throw new LifelineNodeError('BAD_OPTION', `maxUncommitted must be an integer >= 1 (got ${showValue(this.opts.maxUncommitted)})`);
    }
    // Checked now: a mistyped onGap would only fail when a gap happens, mid-incident.
    const onGap = this.opts.onGap;
    if (onGap !== 'stop' && onGap !== 'continue' && typeof onGap !== 'function') {
      throw new LifelineNodeError('BAD_OPTION', `onGap must be 'stop', 'continue' or a function (got ${showValue(onGap)})`);
    }
    if (typeof this.opts.autoAck !== 'boolean') {
      throw new LifelineNodeError('BAD_OPTION', `autoAck must be a boolean (got ${showValue(this.opts.autoAck)})`);
    }
    if (options.signal !== undefined && typeof (options.signal as { addEventListener?: unknown } | null)?.addEventListener !== 'function') {
      throw new LifelineNodeError('BAD_OPTION', 'signal must be an AbortSignal');
    }
    this.queue = new WatermarkQueue<ConsumerItem<T>>({
      highWaterMark: this.opts.highWaterMark,
      lowWaterMark: this.opts.lowWaterMark,
      onHigh: () => this.deps.flow?.requestPause(this),
      onLow: () => {
        this.deps.flow?.releasePause(this);
        this.releaseHandlers();
      },
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Messages buffered and not yet handed out. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Largest number of messages ever buffered. */
  get peakBuffered(): number {
    return this.queue.peak;
  }

  /** Name of the channel, once the iteration started. */
  get channelName(): string | null {
    return this.channel?.name ?? null;
  }

  /** True once the iteration ended. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * Aborts as soon as the iteration is asked to end — `stop()`, `terminate()`, the
   * `signal` option — or ends otherwise, i.e. before `ended()` resolves (which waits
   * for the consumer's next `next()`). A consumer waiting on something else between
   * two messages (`consume()`'s retry wait) listens to it to give up at once.
   */
  get stopSignal(): AbortSignal {
    return this.stopRequest.signal;
  }

  /** Position durable in the checkpoint store (or acknowledged, without a store). */
  get committed(): Position | null {
    return this.state?.committer.position ?? null;
  }

  /**
   * The `CHECKPOINT_FAILED` (or store) error of the channel's last failed checkpoint write,
   * or null. Cleared when a new iteration on the channel writes again.
   */
  get checkpointError(): LifelineNodeError | null {
    return this.state?.committer.error ?? null;
  }

  /** Messages handed out before a stop that are still unacknowledged (see {@link acknowledged}). */
  get awaitingAcknowledgement(): number {
    return this.awaitingAcks.size;
  }

  /**
   * Resolves once the messages this iteration had handed out when it ended with `done`
   * (asked to stop: `signal`, `stop()`/drain), and that were not acknowledged yet, are all
   * acknowledged — with `autoAck: false` a pool's tasks may still run — and their positions
   * written. At once when there are none (with `autoAck: true` there never are: a `break` or a
   * throwing body leaves its message unacknowledged on purpose).
   */
  async acknowledged(): Promise<void> {
    await this.ended();
    if (this.awaitingAcks.size > 0) await new Promise<void>((resolve) => this.acksSettled.push(resolve));
    await this.flushed();
  }

  next(): Promise<IteratorResult<AckableMessage<T>>> {
    const run = this.chain.then(() => this.step());
    this.chain = run.catch(() => {});
    return run;
  }

  async return(): Promise<IteratorResult<AckableMessage<T>>> {
    await this.finish();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<AckableMessage<T>>> {
    await this.finish();
    throw error;
  }

  /**
   * Ends the iteration for a drain: no new message is handed out; the consumer's
   * current loop body may finish (its message is then acknowledged and committed).
   */
  stop(): void {
    this.requestStop('drain');
    if (!this.started) void this.finish();
  }

  /**
   * Ends the iteration with `error` once the consumer's current loop body finishes (its
   * message is acknowledged first, as for any finished body); a waiting `next()` throws it now.
   */
  fail(error: unknown): void {
    if (this.finished) return;
    this.failure ??= error;
    this.interruptOpen?.();
    this.wake();
  }

  /**
   * Ends the iteration now, without waiting for the consumer's current loop body:
   * its message stays unacknowledged (redelivered by the next iteration or run). Nor
   * does it wait for a checkpoint write in flight (a store that hangs must not hold a
   * drain past its deadline): see {@link flushed}.
   */
  terminate(): Promise<void> {
    this.abandoned = true;
    this.abandonFlush?.();
    this.requestStop('drain');
    return this.finish();
  }

  /** Resolves once every checkpoint write requested for this channel is done (or failed). */
  flushed(): Promise<void> {
    return this.state?.committer.flush() ?? Promise.resolve();
  }

  /**
   * Resolves once the iteration has fully ended and its checkpoint is flushed (after
   * `terminate()`: without waiting for a write in flight).
   */
  async ended(): Promise<void> {
    while (!this.finished || this.finishing) {
      if (this.finishing) await this.finishing;
      else await new Promise<void>((resolve) => this.cleanups.push(resolve));
    }
  }

  private async step(): Promise<IteratorResult<AckableMessage<T>>> {
    if (this.finished) return DONE;
    try {
      await (this.started ??= this.start());
    } catch (error) {
      this.failure = error;
      await this.finish();
      throw error;
    }
    if (this.opts.autoAck && this.lastYieldedSeq > 0) this.ack(this.lastYieldedSeq);
    for (;;) {
      const failure = this.failure ?? this.state?.committer.error ?? null;
      if (failure) {
        await this.finish();
        throw failure;
      }
      // `finished` without `stopping`: return() was called while this next() waited
      // (from another piece of code, or during the checkpoint load): end it with done.
      if (this.stopping || this.finished) {
        await this.finish(!this.finished);
        // The last write (the body just acknowledged, flushed by finish) failed: the loop is
        // told, rather than ending with `done` as if that message were durable.
        const error = this.abandoned ? null : (this.state?.committer.error ?? null);
        if (error) throw error;
        return DONE;
      }
      const tracker = this.tracker!;
      if (tracker.deliveredSeq - this.state!.committer.committedSeq >= this.opts.maxUncommitted) {
        await this.sleep();
        continue;
      }
      const item = this.queue.shift();
      if (!item) {
        await this.sleep();
        continue;
      }
      if (item.kind === 'gap') {
        await this.takeGap(item);
        continue;
      }
      const seq = tracker.deliver({ offset: item.msg.offset, epoch: item.msg.epoch }, item);
      if (item.preAcked) {
        this.ack(seq);
        continue;
      }
      item.live = () => this.ack(seq);
      this.lastYieldedSeq = seq;
      return { done: false, value: this.ackable(item) };
    }
  }

  private async start(): Promise<void> {
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.requestStop('abort');
      return this.startIdle();
    }
    if (this.stopping) return this.startIdle();
    // Listened to from now on: an abort while the checkpoint loads ends that wait (open()).
    // Removed when the iteration ends (a signal outlives many iterations).
    if (signal) this.cleanups.push(onAbort(signal, () => this.requestStop('abort')));
    const opened = await this.open();
    // Asked to end (signal, stop()/drain, terminate()/close(), return()) or failed while the
    // checkpoint loaded, or ended meanwhile: subscribe to nothing, hold nothing; step()
    // ends the iteration as it would at any other time. The cleanups that would undo a
    // subscription may already have run.
    if (!opened || this.finished) return;
    const { channel, start } = opened;
    const state = consumerStateOf(channel, this.deps.checkpoint ?? null, start);
    if (state.active) {
      throw new LifelineNodeError('ALREADY_CONSUMING', `channel ${channel.name} already has an active consumer`, {
        channel: channel.name,
      });
    }
    state.active = true;
    this.state = state;
    // A save that failed in an earlier iteration is written again, not rethrown for ever.
    state.committer.retry();
    this.channel = channel;
    // Numbered after an earlier iteration's acknowledgements: maxUncommitted counts
    // against the committer's sequence, which outlives iterations.
    this.tracker = new AckTracker(state.committer.position, state.committer.lastRequestedSeq);
    for (const item of state.leftover.splice(0)) this.queue.push(item);

    const onGap = (gap: GapEvent) => {
      this.queue.push({ kind: 'gap', gap });
      this.wake();
    };
    // A refused subscribe (FORBIDDEN, TOO_MANY_CHANNELS…) leaves the channel 'failed':
    // end the iteration with that error instead of waiting forever for messages.
    const onError = (error: unknown) => {
      if (channel.getSnapshot().state !== 'failed') return;
      this.failure ??= error;
      this.wake();
    };
    channel.on('gap', onGap);
    channel.on('error', onError);
    const unsubscribe = channel.subscribe((msg) => this.enqueue(msg));
    const offCommit = state.committer.onChange(() => this.wake());
    const release = this.deps.keepAlive?.acquire();
    this.cleanups.push(() => {
      unsubscribe();
      offCommit();
      channel.off('gap', onGap);
      channel.off('error', onError);
      release?.();
    });
  }

  /**
   * `deps.open()` (the checkpoint load), or null as soon as the iteration is asked to end
   * or fails: a store that is slow or hangs must not hold an abort, a drain or a close.
   * An abandoned load's outcome is nobody's (the channel reads the store again if needed).
   */
  private async open(): Promise<{ channel: Channel<T>; start: Position | null } | null> {
    if (this.stopRequest.signal.aborted || this.failure) return null;
    const opening = this.deps.open();
    const stop = this.stopRequest.signal;
    let interrupt!: () => void;
    const interrupted = new Promise<null>((resolve) => (interrupt = () => resolve(null)));
    this.interruptOpen = interrupt;
    stop.addEventListener('abort', interrupt, { once: true });
    try {
      return await Promise.race([opening, interrupted]);
    } finally {
      this.interruptOpen = null;
      stop.removeEventListener('abort', interrupt);
      opening.catch(() => {});
    }
  }

  private async startIdle(): Promise<void> {
    this.tracker = new AckTracker();
  }

  private enqueue(msg: Message<T>): void | Promise<void> {
    const state = this.state!;
    const last = state.lastSeen;
    // Core dedupes by (epoch, offset) already; this guard keeps a core bug from
    // reaching a consumer whose side effects are not idempotent.
    if (last && msg.epoch === last.epoch && msg.offset <= last.offset) {
      state.duplicatesDropped += 1;
      return;
    }
    state.lastSeen = { offset: msg.offset, epoch: msg.epoch };
    this.queue.push({ kind: 'msg', msg });
    this.wake();
    // With a socket to pause, pausing is the bound; but a socket that starts unpaused (each
    // reconnect: core's watchdog drops a connection that reads nothing) lets its first read
    // through before the pause takes effect, hundreds of small messages each time, for as
    // long as the consumer stalls. At the overall bound, core is held back as without a socket.
    if (this.queue.isHigh && (!this.deps.flow || this.deps.flow.atLimit)) {
      // Core waits for this promise before delivering more; it buffers a bounded number
      // behind it and re-fetches the rest from the server later (its own overflow rule).
      return new Promise<void>((resolve) => this.heldHandlers.push(resolve));
    }
  }

  private releaseHandlers(): void {
    for (const release of this.heldHandlers.splice(0)) release();
  }

  private ackable(item: MessageItem<T>): AckableMessage<T> {
    return { ...item.msg, ack: () => this.acknowledge(item) };
  }

  /**
   * `msg.ack()`: in the iteration that has the message handed out now (this one, or the
   * next one that got it back), else — its iteration ended — remembered on the message:
   * committed at once when it completes the acknowledged prefix of the leftover, skipped
   * (and committed) by the next iteration otherwise. Never lost, never handed out again.
   */
  private acknowledge(item: MessageItem<T>): void {
    if (item.live) item.live();
    else if (!item.preAcked) {
      item.preAcked = true;
      if (this.state) commitAcknowledgedLeftover(this.state);
    }
    if (this.awaitingAcks.delete(item) && this.awaitingAcks.size === 0) {
      for (const resolve of this.acksSettled.splice(0)) resolve();
    }
  }

  private ack(seq: number): void {
    const tracker = this.tracker;
    if (!tracker || !tracker.ack(seq) || this.state === null) return;
    this.state.committer.request(tracker.position!, tracker.ackedSeq);
  }

  /**
   * Applies the gap policy. An accepted gap enters the commit sequence at `gap.to`, done at
   * once: the checkpoint gets there once everything handed out before it is acknowledged (a
   * quiet period after the gap must not leave it behind, or every restart skips again what was
   * published while it was down). A refused gap (or one whose iteration ended meanwhile) stays
   * in hand: finish() gives it back with the leftover, so the next iteration is told it again.
   */
  private async takeGap(item: GapItem): Promise<void> {
    this.gapInHand = item;
    if (!item.accepted && !(await this.acceptsGap(item.gap))) return;
    if (this.finished) return;
    this.gapInHand = null;
    item.accepted = true;
    this.ack(this.tracker!.deliver(item.gap.to, item));
  }

  /** False (with `failure` set) when the policy ends the iteration. */
  private async acceptsGap(gap: GapEvent): Promise<boolean> {
    const policy = this.opts.onGap;
    if (policy === 'continue') return true;
    if (policy === 'stop') {
      this.failure = new LifelineNodeError('GAP', `continuity lost on ${gap.channel}: ${gap.reason}`, {
        channel: gap.channel,
        details: { gap },
      });
      return false;
    }
    try {
      await policy(gap);
      return true;
    } catch (error) {
      this.failure = error;
      return false;
    }
  }

  private requestStop(kind: 'abort' | 'drain'): void {
    this.stopping ??= kind;
    this.stopRequest.abort();
    this.wake();
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** `stopped`: this ends with `done` because the iteration was asked to stop. */
  private finish(stopped = false): Promise<void> {
    if (this.finished) return this.finishing ?? Promise.resolve();
    this.finished = true;
    this.stopRequest.abort();
    this.finishing = (async () => {
      const state = this.state;
      const cleanups = this.cleanups.splice(0);
      for (const cleanup of cleanups) cleanup();
      this.deps.flow?.releasePause(this);
      this.releaseHandlers();
      if (state) {
        // Unacknowledged messages go back to the channel for the next iteration; an ack()
        // made later still reaches them (acknowledge()).
        const pending = this.tracker!.takePending().map(({ item, acked }) => {
          if (item.kind === 'msg') {
            item.live = undefined;
            item.preAcked = acked;
            if (!acked && stopped && !this.opts.autoAck && !this.abandoned) this.awaitingAcks.add(item);
          }
          return item;
        });
        const gap = this.gapInHand ? [this.gapInHand] : [];
        this.gapInHand = null;
        state.leftover = [...pending, ...gap, ...this.queue.drainAll(), ...state.leftover];
        state.active = false;
        // Messages acknowledged while they waited in the queue (late acks) may now lead it.
        commitAcknowledgedLeftover(state);
        if (!this.abandoned) {
          await Promise.race([state.committer.flush(), new Promise<void>((resolve) => (this.abandonFlush = resolve))]);
        }
        if (this.channel) releaseIdleState(this.channel, state);
      }
      this.wake();
      this.deps.onEnd?.(this);
    })();
    const done = this.finishing;
    void done.finally(() => {
      if (this.finishing === done) this.finishing = null;
    });
    return done;
  }
}

const STANDALONE_MESSAGES_OPTION_KEYS = [...MESSAGES_OPTION_KEYS, 'checkpoint'];

/**
 * Async iteration over a core channel with acknowledgements and checkpoints. The
 * Node client's `channel(name).messages()` pauses the TCP socket and resumes from
 * the checkpoint; this standalone form uses the channel as it is (its `since` is
 * whatever it was created with) and, having no socket to pause, bounds memory by
 * making core wait: above the high-water mark the handler returns a promise, core
 * buffers up to its own limit behind it and re-fetches the rest from the server.
 * @throws LifelineNodeError `BAD_OPTION` for an invalid option or an unknown key, or options that are not an object.
 */
export function messages<T>(
  channel: Channel<T>,
  options: MessagesOptions & { checkpoint?: CheckpointStore } = {},
): MessageIterator<T> {
  checkOptionsObject(options, 'messages()');
  checkKnownKeys(options, STANDALONE_MESSAGES_OPTION_KEYS, 'messages()');
  const { checkpoint, ...iterationOptions } = options;
  return new MessageIterator<T>(
    { open: async () => ({ channel, start: channel.position }), checkpoint: checkpoint ?? null },
    iterationOptions,
  );
}
