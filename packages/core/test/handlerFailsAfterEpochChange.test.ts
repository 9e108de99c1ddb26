// An async handler fails on a message after a re-subscription reported the history lost
// (new epoch, out of retention) from after that message (it was in hand). It cannot be
// redelivered (the position moved past it): it was lost without a word, neither
// redelivered nor inside any gap.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

describe.each([['redeliver' as const], ['skip' as const]])('onHandlerError %s: a handler failing after the history was lost', (policy) => {
  it.each([
    ['epoch-changed', { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' }],
    ['out-of-retention', { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention' }],
  ])('%s: a gap covers the failed message alone; the position stays at the new head; later messages flow', async (reason, answer) => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room', { onHandlerError: policy });
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const seen: number[] = [];
    let fail!: () => void;
    ch.subscribe((m) => {
      seen.push(m.offset);
      if (m.offset === 2 && m.epoch === 'e1') return new Promise<void>((_, reject) => (fail = () => reject(new Error('db down'))));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: answer as never });
    fail();
    await flushPromises();
    const head = { offset: answer.offset, epoch: answer.epoch };
    expect(gaps.map((g) => [g.from, g.to, g.reason])).toEqual([
      [{ offset: 2, epoch: 'e1' }, head, reason],
      [{ offset: 1, epoch: 'e1' }, { offset: 2, epoch: 'e1' }, policy === 'skip' ? 'handler-skipped' : reason],
    ]);
    expect(ch.position).toEqual(head);
    expect(h.errors.map((e) => e.code)).toEqual(['HANDLER_ERROR']);
    h.msg('room', answer.offset + 1, answer.epoch);
    await flushPromises();
    expect(seen.at(-1)).toBe(answer.offset + 1);
    expect(ch.position).toEqual({ offset: answer.offset + 1, epoch: answer.epoch });
  });
});
