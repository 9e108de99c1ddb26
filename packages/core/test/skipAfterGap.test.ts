// Found by a seeded chaos soak against the real server: under onHandlerError 'skip', an
// async handler that failed after its channel had moved on (a lost history reported while
// it ran) moved the position back to its message: the next message of the new epoch then
// resubscribed from that stale position, a message the server still held was skipped and
// the same loss was reported a second time. The loss is said once the handler is done:
// having failed, from before its message (which the lost history cannot bring back).
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

describe("a handler failing under 'skip' after a gap moved the channel past its message", () => {
  it.each([
    ['epoch-changed', { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' }],
    ['out-of-retention', { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention' }],
  ])('%s: one gap, from before that message, the position stays, the next message is delivered', async (_name, answer) => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10, maxDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room', { onHandlerError: 'skip' });
    ch.on('error', () => {});
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const seen: string[] = [];
    let fail!: (e: Error) => void;
    ch.subscribe((m) => {
      seen.push(`${m.epoch}:${m.offset}`);
      if (m.offset === 2) return new Promise<void>((_, reject) => (fail = reject));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    await flushPromises();
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: answer as never });
    fail(new Error('handler failed late'));
    await flushPromises();
    expect(gaps.map((g) => g.reason)).toEqual([answer.reason]);
    expect(gaps[0]).toMatchObject({ from: { offset: 1, epoch: 'e1' }, to: { offset: answer.offset, epoch: answer.epoch } });
    expect(ch.position).toEqual({ offset: answer.offset, epoch: answer.epoch });
    const subs = h.sock.frames('sub').length;
    h.sock.push({ type: 'msg', channel: 'room', offset: answer.offset + 1, epoch: answer.epoch, data: 'next', id: 'n' });
    await flushPromises();
    expect(seen.at(-1)).toBe(`${answer.epoch}:${answer.offset + 1}`);
    expect(h.sock.frames('sub').length).toBe(subs); // no resubscribe from a stale position
    expect(gaps.length).toBe(1);
  });
});
