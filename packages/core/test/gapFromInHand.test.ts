// Found by the model test (replayModel, seed -439794221): a subscribe answered
// `recovered: false` while an async handler was still on a message reported the gap
// from the position (the message before), though that message had been delivered: the
// gap's `from` must be where delivery stood. Whether the loss starts after that message or
// at it is known once its handler is done (handlerFailsAfterEpochChange.test.ts): the gap
// is said then, before anything of the new history is delivered.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

describe('a lost history reported while an async handler is busy', () => {
  it.each([
    ['epoch-changed', { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' }],
    ['out-of-retention', { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention' }],
  ])('%s: the gap, said when the handler completes, starts after the message in hand; its completion does not move the position back', async (_name, answer) => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const seen: number[] = [];
    let finish!: () => void;
    ch.subscribe((m) => {
      seen.push(m.offset);
      if (m.offset === 2) return new Promise<void>((resolve) => (finish = resolve));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    await flushPromises();
    expect(seen).toEqual([1, 2]);
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    expect(h.sock.frames('sub').at(-1).since).toEqual({ offset: 1, epoch: 'e1' });
    h.answerSubs({ room: answer as never });
    expect(gaps).toEqual([]);
    expect(ch.position).toEqual({ offset: answer.offset, epoch: answer.epoch });
    finish();
    await flushPromises();
    expect(gaps.map((g) => [g.from, g.to, g.reason])).toEqual([[{ offset: 2, epoch: 'e1' }, { offset: answer.offset, epoch: answer.epoch }, answer.reason]]);
    expect(ch.getSnapshot().lastGap).toEqual(gaps[0]);
    expect(ch.position).toEqual({ offset: answer.offset, epoch: answer.epoch });
  });

  it('not busy: the gap starts at the position', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } as never });
    expect(gaps.map((g) => g.from)).toEqual([{ offset: 1, epoch: 'e1' }]);
  });
});
