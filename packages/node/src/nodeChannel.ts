import type { Channel, ChannelOptions, Clock, GapEvent, LifelineError, Position, PublishOptions, PublishResult } from '@lifeline/core';
import { onAbort } from './abortListeners';
import type { CheckpointStore } from './checkpoint/types';
import { checkConsumeOptions, consumeWith, type ConsumeOptions } from './consume';
import { LifelineNodeError, showValue } from './errors';
import { MessageIterator, type AckableMessage, type MessagesOptions } from './messageIterator';
import type { ProcessKeepAlive } from './processLiveness';
import type { SocketFlow } from './socketFlow';

/** The options of `client.channel(name, options)`. */
export type NodeChannelOptions = Omit<ChannelOptions, 'since'> & { since?: Position | undefined };

const isPosition = (p: unknown): p is Position =>
  typeof p === 'object' &&
  p !== null &&
  Number.isSafeInteger((p as Position).offset) &&
  (p as Position).offset >= 0 &&
  typeof (p as Position).epoch === 'string';

const samePosition = (a: Position | null | undefined, b: Position | null | undefined) =>
  a?.offset === b?.offset && a?.epoch === b?.epoch;

const showPosition = (p: Position | null) => (p ? `{ offset: ${p.offset}, epoch: ${JSON.stringify(p.epoch)} }` : 'the head');

/** What a Node channel needs from its client. */
export interface NodeChannelHost {
  coreChannel<T>(name: string, options: ChannelOptions): Channel<T>;
  /** Core's client publish (through the outbox and the process holds). */
  publish(channel: string, data: unknown, options?: PublishOptions): Promise<PublishResult>;
  checkpoint: CheckpointStore | null;
  flow: SocketFlow;
  keepAlive: ProcessKeepAlive;
  clock: Clock;
  /** Throws when the client is draining or closed (`publishing`: only once closed). */
  assertOpen(publishing?: boolean): void;
  track<T>(promise: Promise<T>): Promise<T>;
  register(iterator: MessageIterator<any>): void;
  unregister(iterator: MessageIterator<any>): void;
}

/**
 * A channel of the Node client. Core's channel is created only after the stored
 * checkpoint was read, so it subscribes with `since` = that checkpoint. A failed read is
 * not remembered: the next `ready()` (or iteration) reads the store again.
 */
export class NodeChannel<T = unknown> {
  private core: Channel<T> | null = null;
  private start: Position | null = null;
  /** The checkpoint read in progress or done; null after a failed one (read again on demand). */
  private opening: Promise<Channel<T>> | null = null;
  private readonly listeners: Array<[string, (...args: any[]) => void]> = [];
  /** `start` is the store's checkpoint (a `since` does not apply then, on any call). */
  private startFromStore = false;

  constructor(
    readonly name: string,
    private options: NodeChannelOptions,
    private readonly host: NodeChannelHost,
  ) {
    // Read at once, so the subscription starts early; a failure is surfaced by the call
    // that needs the channel (ready(), an iteration), which reads the store again.
    this.ready().catch(() => {});
  }

  /** Core's channel once open (after the checkpoint was read), else null. */
  get channel(): Channel<T> | null {
    return this.core;
  }

  /**
   * Resolves with core's channel once the checkpoint was read. Rejects with
   * `CHECKPOINT_FAILED` / `CHECKPOINT_CORRUPT` when the store could not be read (or core's
   * `BAD_ARGUMENT` for an invalid channel name or option); that
   * failure is not kept: a later call (or iteration) reads the store again, so a store
   * that failed once (Redis restarting, a network blip) does not break the channel.
   */
  ready(): Promise<Channel<T>> {
    if (!this.opening) {
      const opening = this.open();
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = null;
      });
    }
    return this.opening;
  }

  /** Position of the last message handed to a consumer's queue (core's position). */
  get position(): Position | null {
    return this.core?.position ?? null;
  }

  /**
   * The position this channel resumed from (stored checkpoint or `options.since`), `null` =
   * the head. Also `null` until the checkpoint was read (`ready()` resolved, `channel` set).
   */
  get resumedFrom(): Position | null {
    return this.start;
  }

  /**
   * @internal `client.channel()` calls it; not for direct use.
   * The options of a later `client.channel(name, options)` on this channel, as core's
   * `channel()` takes them. A `since` applies while the channel has no position yet (core's
   * rule): before the checkpoint was read (the store's checkpoint still wins), or once open while
   * nothing was delivered (a `sub` already sent is sent again from it). `onHandlerError`: the one
   * named last applies while nobody consumes; core refuses the other one while someone does.
   * It was dropped without a word: a channel first made to publish at startup then iterated
   * from the head, skipping what it was asked to replay, with no gap.
   * @throws LifelineNodeError `BAD_OPTION`, nothing changed, for an invalid `since` or
   * `onHandlerError`, a `since` other than the one in force once the channel has a position
   * (its start or a delivered message: it cannot move back), or the other `onHandlerError` while consumed.
   */
  reuse(options: NodeChannelOptions | undefined): void {
    if (options === undefined) return;
    const bad = (message: string, cause?: unknown) =>
      new LifelineNodeError('BAD_OPTION', `channel(${JSON.stringify(this.name)}): ${message}`, {
        channel: this.name,
        ...(cause === undefined ? {} : { cause }),
      });
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw bad(`options must be an object (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`);
    }
    const { since, onHandlerError } = options;
    if (since != null && !isPosition(since)) {
      throw bad(`since must be { offset: integer >= 0, epoch: string } (got ${showValue(since)})`);
    }
    if (onHandlerError !== undefined && onHandlerError !== 'redeliver' && onHandlerError !== 'skip') {
      throw bad(`onHandlerError must be 'redeliver' or 'skip' (got ${showValue(onHandlerError)})`);
    }
    const core = this.core;
    let applySince = false;
    // With a stored checkpoint, `since` is only the fallback: it does not apply, on any call.
    if (since != null && !(core && this.startFromStore)) {
      // What the channel is bound to: its start once it has a position, else the `since` waiting for the load.
      const inForce = core ? (core.position === null ? null : this.start) : (this.options.since ?? null);
      const hasPosition = core ? core.position !== null : inForce !== null;
      if (!hasPosition) applySince = true;
      else if (!samePosition(since, inForce)) {
        throw bad(
          `since ${showPosition(since)} cannot apply: the channel ${
            core ? `started from ${showPosition(this.start)} and is at ${showPosition(core.position)}` : `was made with since ${showPosition(inForce)}`
          }; pass since on the first channel() call of this name (before anything publishes or consumes on it), or use another client`,
        );
      }
    }
    if (core) {
      try {
        // Core's own check (the other policy while consumed), before anything changes here.
        this.host.coreChannel<T>(this.name, {
          ...(onHandlerError !== undefined ? { onHandlerError } : {}),
          ...(applySince ? { since: since! } : {}),
        });
      } catch (error) {
        const refused = onHandlerError === undefined ? 'core refused the options' : `onHandlerError ${showValue(onHandlerError)} conflicts with the channel's`;
        throw bad(`${refused}: ${(error as Error).message}`, error);
      }
      if (applySince) this.start = since!;
    }
    this.options = {
      ...this.options,
      ...(onHandlerError !== undefined ? { onHandlerError } : {}),
      ...(applySince ? { since: since! } : {}),
    };
  }

  /**
   * Async iteration with backpressure and checkpoints. One active iteration (or
   * `consume`) per channel at a time; unacknowledged messages of an ended iteration
   * go to the next one. `next()` rejects with `ALREADY_CONSUMING`, a checkpoint error,
   * `GAP` (onGap 'stop'), `CLIENT_STOPPED`, or the `SERVER_ERROR` of a refused subscribe.
   * An abort, drain or close while the first `next()` waits for the checkpoint load ends it
   * at once (`done`), without waiting for the store.
   * @throws LifelineNodeError `CLIENT_CLOSED` while the client drains or after it closed;
   * `BAD_OPTION` for an invalid option, or options that are not an object (`null`).
   */
  messages(options: MessagesOptions = {}): MessageIterator<T> {
    this.host.assertOpen();
    const iterator: MessageIterator<T> = new MessageIterator<T>(
      {
        open: async () => ({ channel: await this.ready(), start: this.start }),
        checkpoint: this.host.checkpoint,
        flow: this.host.flow,
        keepAlive: this.host.keepAlive,
        onEnd: (it) => this.host.unregister(it),
      },
      options,
    );
    this.host.register(iterator);
    return iterator;
  }

  /**
   * Runs `handler` for every message in order; acknowledges after it resolves; on a
   * throw applies `onError` (retry with backoff by default, then stop). Resolves
   * when `signal` aborts or the client drains or closes — at `close()` or the drain's
   * deadline without waiting for a handler still running (its message stays unacknowledged). Rejects with `CONSUMER_STOPPED`
   * when the policy stops (or `onRetry` throws), `DEAD_LETTER_FAILED`, `BAD_OPTION` (before
   * anything starts), `CLIENT_CLOSED`, or what the iteration fails with (see `messages()`).
   * A handler's returned promise is awaited; any other value it returns is ignored.
   */
  consume(handler: (msg: AckableMessage<T>) => unknown, options: ConsumeOptions<T> = {}): Promise<void> {
    try {
      // Before the iteration exists: a refused call leaves nothing registered or subscribed.
      checkConsumeOptions(handler, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const controller = new AbortController();
    let iterator: MessageIterator<T>;
    try {
      // The policy options are consume()'s own: messages() refuses keys it does not know.
      const { onError: _onError, deadLetter: _deadLetter, onRetry: _onRetry, ...iterationOptions } = options;
      iterator = this.messages({ ...iterationOptions, autoAck: false, signal: controller.signal });
    } catch (error) {
      return Promise.reject(error);
    }
    // Listened to once the iteration exists (a refused call leaves no listener on it), until
    // consume() settles.
    const external = options.signal;
    let offExternal = () => {};
    if (external?.aborted) controller.abort(external.reason);
    else if (external) offExternal = onAbort(external, () => controller.abort(external.reason));
    // A drain or close asks the iterator to stop: abort at that moment, so a retry wait
    // ends at once (message unacknowledged) and a failing handler is not called again.
    // Waiting for ended() instead would wait for the consumer's next next(), i.e. for
    // the retry wait itself. A handler already running is not interrupted by this.
    const onStop = () => controller.abort();
    iterator.stopSignal.addEventListener('abort', onStop, { once: true });
    return consumeWith(iterator, handler, { ...options, signal: controller.signal }, this.host.clock).finally(() => {
      offExternal();
      iterator.stopSignal.removeEventListener('abort', onStop);
    });
  }

  /**
   * Publishes through core's outbox (idempotency id, ack `{ offset, epoch, duplicate }`);
   * counted by `drain()`. Does not wait for the checkpoint read (publishing does not use
   * it): a store that is slow or failing does not hold or fail publishes. Allowed during a
   * drain; rejects with `CLIENT_CLOSED` once closed, else as core's `publish` does. A rejection
   * nobody handles is an unhandled rejection, as with core's `publish`.
   */
  publish(data: T, options?: PublishOptions): Promise<PublishResult> {
    try {
      // Allowed while draining: a loop body the drain lets finish may publish its result.
      this.host.assertOpen(true);
    } catch (error) {
      return Promise.reject(error);
    }
    // Core's client publish, as core's channel.publish does: same outbox, same holds.
    // Tracked from the first moment, so a drain() right after this call waits for it.
    return this.host.track(this.host.publish(this.name, data, options));
  }

  /** Core's channel events; listeners added before the checkpoint was read are attached once it is. */
  on(event: 'gap', listener: (e: GapEvent) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: string, listener: (...args: any[]) => void): this {
    this.listeners.push([event, listener]);
    if (this.core) this.core.on(event as 'gap', listener);
    return this;
  }

  off(event: string, listener: (...args: any[]) => void): this {
    const i = this.listeners.findIndex(([e, l]) => e === event && l === listener);
    if (i >= 0) this.listeners.splice(i, 1);
    this.core?.off(event, listener);
    return this;
  }

  private async open(): Promise<Channel<T>> {
    let stored: Position | null = null;
    const store = this.host.checkpoint;
    if (store) {
      try {
        stored = (await store.load(this.name)) ?? null;
      } catch (error) {
        throw error instanceof LifelineNodeError
          ? error
          : new LifelineNodeError('CHECKPOINT_FAILED', `cannot load the checkpoint of ${this.name}`, {
              cause: error,
              channel: this.name,
            });
      }
    }
    // Read after the load: a later channel(name, { since }) made meanwhile applies.
    const since = stored ?? this.options.since ?? null;
    this.start = since;
    this.startFromStore = stored !== null;
    const { since: _ignored, ...rest } = this.options;
    const core = this.host.coreChannel<T>(this.name, since ? { ...rest, since } : rest);
    this.core = core;
    for (const [event, listener] of this.listeners) core.on(event as 'gap', listener);
    return core;
  }
}
