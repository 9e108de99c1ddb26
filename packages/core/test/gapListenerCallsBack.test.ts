// A `gap` listener (or a presence listener, told in the same answer) is where an app
// reacts to lost history: it may unsubscribe, close the client, or start over. The code
// after the event went on as if nothing had happened: the message behind a hole was
// still delivered (to nobody, moving the position past it: lost for the next
// subscriber; or, behind a busy async handler, after the buffered ones the reset had
// dropped), and the subscribe answer still marked the channel `subscribed`.
import { describe, expect, it } from 'vitest';
import type { Message } from '../src';
import { flushPromises, setup } from './support/harness';

const lastSub = (h: ReturnType<typeof setup>) => h.sock.frames('sub').at(-1);

/** Open, 'room' subscribed at e1#0 with `handler`; then 1 and a hole at 2 the server cannot fill. */
function unfillableHoleAt2(handler: (m: Message) => void | Promise<void>) {
  const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
  h.accept();
  const ch = h.client.channel('room');
  const off = ch.subscribe(handler);
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.msg('room', 3); // 2 missing: asked for from position
  return { h, ch, off, answer: () => h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 0 }) };
}

describe('a gap listener calling back', () => {
  it('unsubscribing (the last handler) on a hole: the message after it is not taken, a later subscribe gets it', () => {
    const got: number[] = [];
    const { h, ch, off, answer } = unfillableHoleAt2((m) => void got.push(m.offset));
    answer();
    ch.on('gap', () => off());
    h.msg('room', 3); // still a hole at 2: the gap, then 3
    expect(got).toEqual([1]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
    ch.subscribe((m) => void got.push(m.offset));
    expect(lastSub(h).since).toEqual({ offset: 2, epoch: 'e1' });
  });

  it('closing the client on a hole while an async handler works: what was buffered before it is delivered, what follows it is asked for again', async () => {
    const pending: Array<() => void> = [];
    const got: number[] = [];
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe((m) => {
      got.push(m.offset);
      return new Promise<void>((r) => pending.push(r));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1); // in the handler
    h.msg('room', 2); // buffered
    h.msg('room', 4); // 3 missing: asked for (the buffer is dropped, the replay brings 2 again)
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 4, recovered: true, replay: 2 });
    h.msg('room', 2); // buffered again
    let closing: Promise<void> | undefined;
    ch.on('gap', () => (closing = h.client.close()));
    h.msg('room', 4); // 3 still missing: the gap, said once 2 is delivered
    expect(closing).toBeUndefined();
    pending.shift()!(); // 1 done: 2 is delivered
    await flushPromises();
    expect(closing).toBeUndefined();
    pending.shift()!(); // 2 done: the gap, and the listener closes
    await flushPromises();
    expect(closing).toBeDefined();
    // 4, behind the gap, was dropped with the buffer by close(): never delivered; the
    // position is the gap's end, so the next subscribe asks for 4 again.
    expect(got).toEqual([1, 2]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
    h.sock.serverClose(1000);
    await closing;
    h.client.connect();
    h.accept();
    expect(lastSub(h).since).toEqual({ offset: 3, epoch: 'e1' });
  });

  it.each([
    ['unsubscribes', (_h: ReturnType<typeof setup>, off: () => void) => off(), 'unsubscribing'],
    ['closes the client', (h: ReturnType<typeof setup>) => void h.client.close(), 'subscribing'],
  ])('on a lost history (recovered: false) the listener %s: the channel is not marked subscribed after it', (_, call, state) => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    const off = ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    ch.on('gap', () => call(h, off));
    h.answerSubs({ room: { offset: 5, epoch: 'e2', recovered: false, reason: 'epoch-changed' } });
    expect(ch.getSnapshot().state).toBe(state);
  });

  it('a presence listener that unsubscribes on the subscribe answer: the channel ends idle, not subscribed', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const off = ch.subscribe(() => {});
    ch.on('presence', () => off());
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 0, presence: [{ clientId: 'x' }] });
    expect(ch.getSnapshot().state).toBe('unsubscribing');
    h.sock.push({ type: 'unsubscribed', ref: h.sock.frames('unsub')[0].ref, channel: 'room' });
    expect(ch.getSnapshot().state).toBe('idle');
  });
});
