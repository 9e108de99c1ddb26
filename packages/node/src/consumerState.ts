import type { Channel, GapEvent, Message, Position } from '@lifeline/core';
import { CheckpointCommitter } from './checkpoint/committer';
import type { CheckpointStore } from './checkpoint/types';

/** What flows from the socket to a consumer, in arrival order. */
export type ConsumerItem<T> =
  | { kind: 'msg'; msg: Message<T>; preAcked?: boolean }
  | { kind: 'gap'; gap: GapEvent };

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

/** The state of `channel`, created on first use from the store and start position. */
export function consumerStateOf<T>(
  channel: Channel<T>,
  store: CheckpointStore | null,
  start: Position | null,
): ConsumerState<T> {
  let state = states.get(channel) as ConsumerState<T> | undefined;
  if (!state) {
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
