import type { Position } from '@lifeline/core/protocol';
import type { Broker, StoredMessage } from './broker/types';

export interface ReplayPlan {
  epoch: string;
  /** Head at the time of reading: the subscribed reply's `offset`. */
  head: number;
  /** Only set when the request carried `since`. */
  recovered?: boolean;
  reason?: 'epoch-changed' | 'out-of-retention';
  /** Exactly the messages in `(since.offset, head]`, ascending, when recovered. */
  messages: StoredMessage[];
}

/**
 * Reads what a subscriber with `since` is owed (PROTOCOL.md §5). Must be called
 * after the subscriber is attached to the live feed, so nothing published after
 * `head` can be missed.
 */
export async function planReplay(
  broker: Broker,
  channel: string,
  since: Position | undefined,
  pageSize: number,
): Promise<ReplayPlan> {
  if (!since) {
    const pos = await broker.position(channel);
    return { epoch: pos.epoch, head: pos.offset, messages: [] };
  }
  const first = await broker.read(channel, since.offset, pageSize);
  const lost = (reason: 'epoch-changed' | 'out-of-retention', epoch = first.epoch, head = first.head): ReplayPlan =>
    ({ epoch, head, recovered: false, reason, messages: [] });
  if (first.epoch !== since.epoch) return lost('epoch-changed');
  // Ahead of the head in the same epoch: offsets of an epoch only grow, so the log lost
  // messages the client has (Redis losing acknowledged writes) and offsets after the head
  // may be handed out again for other messages. An explicit gap, never recovered: true
  // (the client would drop those as duplicates). The epoch is not changed for it: any
  // client could claim any offset.
  if (since.offset > first.head) return lost('out-of-retention');
  if (since.offset === first.head) return { epoch: first.epoch, head: first.head, recovered: true, messages: [] };
  if (since.offset + 1 < first.earliest) return lost('out-of-retention');

  const head = first.head;
  const messages: StoredMessage[] = [];
  let page = first.messages;
  for (;;) {
    for (const m of page) {
      // Retention may trim between pages: a hole means continuity is gone after all.
      // (Checked before the head test: a trimmed page starts above the head.)
      if (m.offset !== since.offset + 1 + messages.length) return lost('out-of-retention');
      if (m.offset > head) break;
      messages.push(m);
    }
    const last = since.offset + messages.length;
    if (last >= head) break;
    const next = await broker.read(channel, last, pageSize);
    if (next.epoch !== since.epoch) return lost('epoch-changed', next.epoch, next.head);
    if (next.messages.length === 0) return lost('out-of-retention', next.epoch, next.head);
    page = next.messages;
  }
  return { epoch: first.epoch, head, recovered: true, messages };
}
