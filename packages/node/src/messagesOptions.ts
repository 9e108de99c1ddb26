import type { Channel, GapEvent, Message, Position } from '@lifeline/core';
import type { CheckpointStore } from './checkpoint/types';
import type { ProcessKeepAlive } from './processLiveness';
import type { SocketFlow } from './socketFlow';
import type { MessageIterator } from './messageIterator';

/** What to do when the channel reports lost continuity (any core gap: epoch changed, out of retention, unfillable hole). */
export type GapPolicy = 'stop' | 'continue' | ((gap: GapEvent) => void | Promise<void>);

/** Options of `messages()` / `channel.messages()`. */
export interface MessagesOptions {
  /** Ends the iteration cleanly (`done: true`), after the current loop body. @default undefined */
  signal?: AbortSignal | undefined;
  /**
   * Buffered messages (an integer >= 1, else `BAD_OPTION`) at which the socket is paused
   * (standalone `messages()`: core is held back instead). @default 64
   */
  highWaterMark?: number | undefined;
  /**
   * Buffered messages at or below which a paused socket resumes: an integer 0 … highWaterMark − 1,
   * else `BAD_OPTION`. @default floor(highWaterMark / 2)
   */
  lowWaterMark?: number | undefined;
  /**
   * `true`: a message is acknowledged when the loop body finishes (the next `next()`
   * call). `false`: only `msg.ack()` acknowledges, in any order. Not a boolean: `BAD_OPTION`.
   * @default true
   */
  autoAck?: boolean | undefined;
  /**
   * Most messages handed out whose position is not yet durable in the checkpoint
   * store: the next message waits until fewer are outstanding. This is exactly the
   * most a crash can redeliver. With `autoAck: false` it is also the concurrency. An
   * integer >= 1, else `BAD_OPTION`.
   * @default 1
   */
  maxUncommitted?: number | undefined;
  /**
   * On a gap (epoch changed, out of retention, a hole the server could not fill): `'stop'`
   * ends the iteration with a `GAP` error after every message before the gap; `'continue'`
   * goes on; a function is awaited in stream order (what it throws ends the iteration,
   * thrown by `next()`). Another value: `BAD_OPTION`. An accepted gap moves the checkpoint to
   * `gap.to` once every message handed out before it is acknowledged (a restart resumes after
   * it); with `'stop'` the checkpoint stays before it and the channel's next iteration is told it again.
   * @default 'stop'
   */
  onGap?: GapPolicy | undefined;
}

/** Defaults of {@link MessagesOptions} (`lowWaterMark`: floor(highWaterMark / 2)). */
export const MESSAGES_DEFAULTS = { highWaterMark: 64, autoAck: true, maxUncommitted: 1, onGap: 'stop' } as const;

/** A delivered message that can be acknowledged. */
export interface AckableMessage<T = unknown> extends Message<T> {
  /**
   * Marks the message processed; idempotent. The checkpoint moves over acknowledged prefixes.
   * Also after its iteration ended (a pool's task finishing after `break`, an abort or a
   * drain): the message is not handed out again in this process and its position is
   * committed (at once when the prefix is complete, else by the next iteration).
   */
  ack(): void;
}

/** Collaborators the Node client hands in; the standalone helper runs without them. */
export interface IteratorDeps<T> {
  /** Resolves the core channel (after the checkpoint was loaded) and the loaded position. */
  open: () => Promise<{ channel: Channel<T>; start: Position | null }>;
  checkpoint?: CheckpointStore | null;
  flow?: SocketFlow | null;
  keepAlive?: ProcessKeepAlive | null;
  /** Called once the iteration ended (for drain bookkeeping). */
  onEnd?: (iterator: MessageIterator<T>) => void;
}
