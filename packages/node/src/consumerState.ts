import type { Channel, GapEvent, Message, Position } from '@lifeline/core';
import { CheckpointCommitter } from './checkpoint/committer';
import type { CheckpointStore } from './checkpoint/types';

/**
 * A message on its way to a consumer. The same object travels from the socket to an
 * iteration and, if that iteration ends before it is acknowledged, back to the channel's
 * leftover and to the next iteration, so an `ack()` made at any point lands on it.
 */
export interface MessageItem<T> {
  kind: 'msg';
  msg: Message<T>;
  /** Acknowledged while not handed out (a late ack, or acked behind an unacked one). */
  preAcked?: boolean;
  /** Set while an iteration has it handed out: acknowledges it in that iteration. */
  live?: (() => void) | undefined;
}

/**
 * A gap on its way to a consumer. Once the `onGap` policy accepted it, it is an entry of the
 * commit sequence at `gap.to`, done at once: the checkpoint reaches `gap.to` as soon as every
 * message before it is acknowledged, so a restart resumes after the gap (kept behind it, every
 * restart was told the same gap again and skipped what had been published meanwhile).
 */
export interface GapItem {
  kind: 'gap';
  gap: GapEvent;
  /** The policy accepted it (an iteration that gets it back goes on without asking again). */
  accepted?: boolean;
}

/** What flows from the socket to a consumer, in arrival order. */
export type ConsumerItem<T> = MessageItem<T> | GapItem;

/**
 * Per-channel state that outlives one iteration: the checkpoint committer and the
 * messages an ended iteration received but did not get acknowledged. Core's channel
 * position has already moved past those (it advances when our enqueueing handler
 * returns), so the next iteration in this process must get them from here.
 */
export interface ConsumerState<T> {
  committer: CheckpointCommitter;
  leftover: ConsumerItem<T>[];
  /** Last position enqueued, for a defensive duplicate check. */
  lastSeen: Position | null;
  active: boolean;
  duplicatesDropped: number;
}

const states = new WeakMap<object, ConsumerState<unknown>>();
/** Channels whose state was released while idle ({@link releaseIdleState}): their durable position. */
const released = new WeakMap<object, Position | null>();

/**
 * The state of `channel`, created on first use from the store and start position (after a
 * release: from the durable position it kept).
 */
export function consumerStateOf<T>(
  channel: Channel<T>,
  store: CheckpointStore | null,
  start: Position | null,
): ConsumerState<T> {
  let state = states.get(channel) as ConsumerState<T> | undefined;
  if (!state) {
    if (released.has(channel)) {
      start = released.get(channel)!;
      released.delete(channel);
    }
    state = {
      committer: new CheckpointCommitter(store, channel.name, start),
      leftover: [],
      lastSeen: start,
      active: false,
      duplicatesDropped: 0,
    };
    states.set(channel, state as ConsumerState<unknown>);
  }
  return state;
}

/** Where the commit sequence is once `item` is done: its message, or the gap's `to`. */
const positionOf = <T>(item: ConsumerItem<T>): Position =>
  item.kind === 'msg' ? { offset: item.msg.offset, epoch: item.msg.epoch } : item.gap.to;

/** Acknowledged message, or accepted gap: nothing left to do for it but commit. */
const isDone = <T>(item: ConsumerItem<T> | undefined): item is ConsumerItem<T> =>
  item !== undefined && (item.kind === 'msg' ? item.preAcked === true : item.accepted === true);

/**
 * With no iteration running, commits the acknowledged prefix of the leftover (messages
 * acknowledged after their iteration ended, gaps already accepted): the checkpoint does not
 * wait for another iteration, and that iteration does not hand them out again. A gap not
 * accepted yet or an unacknowledged message stops it (the next iteration handles those in order).
 */
export function commitAcknowledgedLeftover<T>(state: ConsumerState<T>): void {
  if (state.active) return;
  let last: Position | null = null;
  while (isDone(state.leftover[0])) last = positionOf(state.leftover.shift()!);
  if (last) state.committer.request(last, state.committer.lastRequestedSeq + 1);
}

/**
 * Drops the state of a channel nobody consumes — no iteration, nothing left over, no
 * checkpoint write pending or failed — keeping only its durable position: a channel
 * iterated once and left retained ~0.35 KB for the life of the client. Everything else
 * in it is then rebuilt as it was: every message handed to a consumer was acknowledged
 * and written, so the last one seen is the durable one and delivery numbering may start over.
 */
export function releaseIdleState<T>(channel: Channel<T>, state: ConsumerState<T>): void {
  if (states.get(channel) !== state || state.active || state.leftover.length > 0 || !state.committer.idle) return;
  states.delete(channel);
  released.set(channel, state.committer.position);
}

/** The state `channel` holds now, if any (tests: an idle channel holds none). */
export function heldConsumerState(channel: object): ConsumerState<unknown> | undefined {
  return states.get(channel);
}
