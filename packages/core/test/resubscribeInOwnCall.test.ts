// An async handler whose own (synchronous) call resets the channel — it unsubscribes
// and subscribes again — before it returns its promise. The reset ran
// while the channel was not yet marked busy, so it set the dedupe mark back to the position,
// before the message the handler is still working on; the next subscribe's replay then
// handed that message to the handler a second time (a duplicate, once the first call settled).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

const settle = async () => {
  for (let i = 0; i < 4; i++) await flushPromises();
};

describe('an async handler that unsubscribes and subscribes again in its own call', () => {
  it('is not handed the message in hand a second time by the replay of its new subscribe', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const seen: number[] = [];
    let release!: () => void;
    let off: () => void;
    const handler = (m: { offset: number }) => {
      seen.push(m.offset);
      if (m.offset !== 2) return Promise.resolve();
      // e.g. a component re-running its effect from inside the handler (flushSync)
      off();
      off = ch.subscribe(handler);
      return new Promise<void>((r) => (release = r));
    };
    off = ch.subscribe(handler);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    await flushPromises();
    h.msg('room', 2);
    await flushPromises();
    const sub = h.sock.frames('sub').at(-1);
    expect(sub.since).toEqual({ offset: 1, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: sub.ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 2 });
    h.msg('room', 2);
    h.msg('room', 3);
    release();
    await settle();
    expect(seen).toEqual([1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });
});
