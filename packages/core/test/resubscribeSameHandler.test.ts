// From a chaos trial: an async handler unsubscribed while on a message and subscribed
// again (the same function: a re-render) was taken for a new handler, so the channel
// stopped waiting for its call and the replay handed it that message again: twice, the
// second while the first call still ran.
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

function busyOnTwo() {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room');
  const calls: number[] = [];
  const settle: Array<{ ok: () => void; fail: (e: Error) => void }> = [];
  const handler = (m: { offset: number }) => {
    calls.push(m.offset);
    if (m.offset === 2) return new Promise<void>((ok, fail) => void settle.push({ ok, fail }));
  };
  const off = ch.subscribe(handler);
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.msg('room', 2);
  return { h, ch, calls, settle, off, handler };
}

describe('the same handler unsubscribed and subscribed again while on a message', () => {
  it('is not handed that message again: its call is still waited for, and what follows comes after it', async () => {
    const t = busyOnTwo();
    t.off();
    t.ch.subscribe(t.handler);
    expect(t.h.sock.frames('sub').at(-1).since).toEqual({ offset: 1, epoch: 'e1' });
    t.h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 2 } });
    t.h.msg('room', 2); // the replay
    t.h.msg('room', 3);
    await flushPromises();
    expect(t.calls).toEqual([1, 2]);
    t.settle[0]!.ok();
    await flushPromises();
    expect(t.calls).toEqual([1, 2, 3]);
    expect(t.ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('its call failing still redelivers the message (once)', async () => {
    const t = busyOnTwo();
    t.h.errors.length = 0;
    t.off();
    t.ch.subscribe(t.handler);
    t.h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: true, replay: 1 } });
    t.h.msg('room', 2);
    t.settle[0]!.fail(new Error('db down'));
    await flushPromises();
    expect(t.h.errors.map((e) => e.code)).toEqual(['HANDLER_ERROR']);
    const subs = t.h.sock.frames('sub').length;
    for (let i = 0; i < 100 && t.h.sock.frames('sub').length === subs; i++) t.h.clock.advance(100); // the redelivery backoff
    expect(t.h.sock.frames('sub').at(-1).since).toEqual({ offset: 1, epoch: 'e1' });
    t.h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: true, replay: 1 } });
    t.h.msg('room', 2);
    await flushPromises();
    expect(t.calls).toEqual([1, 2, 2]);
  });

  it('a different handler still does not wait for it (abandonedHandler.test.ts)', async () => {
    const t = busyOnTwo();
    t.off();
    const seen: number[] = [];
    t.ch.subscribe((m) => void seen.push(m.offset));
    t.h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: true, replay: 1 } });
    t.h.msg('room', 2);
    await flushPromises();
    expect(seen).toEqual([2]);
  });
});
