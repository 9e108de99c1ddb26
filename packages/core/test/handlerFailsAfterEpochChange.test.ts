// An async handler fails on a message after a re-subscription reported the history lost
// (new epoch, out of retention). The loss had been said from after that message (it was
// in hand); the message could not be redelivered (the position moved past it), so it was
// lost without a word. The loss is now said once the handler is done: from after the
// message if it completed, from before it if it failed.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

type Answer = { offset: number; epoch: string; recovered: false; reason: string };
const answers: Array<[string, Answer]> = [
  ['epoch-changed', { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' }],
  ['out-of-retention', { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention' }],
];

/** A channel whose async handler is on message 2 of e1 when the connection drops. */
function busyOnTwo(policy: 'redeliver' | 'skip') {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
  h.accept();
  const ch = h.client.channel('room', { onHandlerError: policy });
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  const seen: string[] = [];
  const settle: Array<{ ok: () => void; fail: () => void }> = [];
  const handler = (m: { offset: number; epoch: string }) => {
    seen.push(`${m.epoch}:${m.offset}`);
    if (m.offset === 2 && m.epoch === 'e1') return new Promise<void>((ok, no) => void settle.push({ ok, fail: () => no(new Error('db down')) }));
  };
  const off = ch.subscribe(handler);
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.msg('room', 2);
  h.sock.serverClose(1006);
  h.clock.advance(10);
  h.accept();
  return { h, ch, gaps, seen, settle, off, handler };
}

describe.each([['redeliver' as const], ['skip' as const]])('onHandlerError %s: a handler failing after the history was lost', (policy) => {
  it.each(answers)('%s: one gap, from before the failed message, said when it failed; the position stays at the new head; later messages flow', async (reason, answer) => {
    const t = busyOnTwo(policy);
    t.h.answerSubs({ room: answer as never });
    expect(t.gaps).toEqual([]);
    t.settle[0]!.fail();
    await flushPromises();
    const head = { offset: answer.offset, epoch: answer.epoch };
    expect(t.gaps.map((g) => [g.from, g.to, g.reason])).toEqual([[{ offset: 1, epoch: 'e1' }, head, reason]]);
    expect(t.ch.getSnapshot().lastGap).toEqual(t.gaps[0]);
    expect(t.ch.position).toEqual(head);
    expect(t.h.errors.map((e) => e.code)).toEqual(['HANDLER_ERROR']);
    t.h.msg('room', answer.offset + 1, answer.epoch);
    await flushPromises();
    expect(t.seen.at(-1)).toBe(`${answer.epoch}:${answer.offset + 1}`);
    expect(t.ch.position).toEqual({ offset: answer.offset + 1, epoch: answer.epoch });
  });
});

describe('a loss reported while an async handler is busy', () => {
  it('messages of the new history wait behind the handler and come after the gap', async () => {
    const t = busyOnTwo('redeliver');
    t.h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    const order: string[] = [];
    t.ch.on('gap', () => order.push('gap'));
    t.ch.subscribe((m) => void order.push(`${m.epoch}:${m.offset}`));
    t.h.msg('room', 1, 'e2');
    await flushPromises();
    expect(order).toEqual([]);
    t.settle[0]!.ok();
    await flushPromises();
    expect(order).toEqual(['gap', 'e2:1']);
    expect(t.gaps[0]!.from).toEqual({ offset: 2, epoch: 'e1' });
  });

  // Into two epochs: said as the non-busy path says them, one gap each, in order. Joined as
  // one (e1#2 to e3#0), a tail e2 promised and the move dropped went unsaid, and a move back
  // to e1 joined into a gap from e1#2 to e1#2 (see busyAcrossEpochReturn.test.ts).
  it('two losses into different epochs before it is done are said once it is done, one gap per epoch, in order', async () => {
    const t = busyOnTwo('redeliver');
    t.h.answerSubs({ room: { offset: 5, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    t.h.sock.serverClose(1006);
    t.h.clock.advance(10);
    t.h.accept();
    t.h.answerSubs({ room: { offset: 0, epoch: 'e3', recovered: false, reason: 'epoch-changed' } as never });
    expect(t.gaps).toEqual([]);
    t.settle[0]!.ok();
    await flushPromises();
    expect(t.gaps.map((g) => [g.from, g.to])).toEqual([
      [{ offset: 2, epoch: 'e1' }, { offset: 5, epoch: 'e2' }],
      [{ offset: 5, epoch: 'e2' }, { offset: 0, epoch: 'e3' }],
    ]);
  });

  it('two losses in one epoch before it is done are said as one gap, to the latest head', async () => {
    const t = busyOnTwo('redeliver');
    t.h.answerSubs({ room: { offset: 5, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    t.h.sock.serverClose(1006);
    t.h.clock.advance(10);
    t.h.accept();
    t.h.answerSubs({ room: { offset: 9, epoch: 'e2', recovered: false, reason: 'out-of-retention' } as never });
    t.settle[0]!.ok();
    await flushPromises();
    expect(t.gaps.map((g) => [g.from, g.to, g.reason])).toEqual([[{ offset: 2, epoch: 'e1' }, { offset: 9, epoch: 'e2' }, 'out-of-retention']]);
  });

  it('a new subscribe after the last unsubscribe abandons the handler: the loss is said at once, from before its message', async () => {
    const t = busyOnTwo('redeliver');
    t.h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    t.off();
    t.ch.subscribe(() => {});
    expect(t.gaps.map((g) => [g.from, g.to])).toEqual([[{ offset: 1, epoch: 'e1' }, { offset: 0, epoch: 'e2' }]]);
    t.settle[0]!.ok(); // the abandoned call's end changes nothing
    await flushPromises();
    expect(t.gaps).toHaveLength(1);
    expect(t.ch.position).toEqual({ offset: 0, epoch: 'e2' });
  });
});
