// From user trials: an async handler that never settles held its channel for the client's
// life. Unsubscribing it and subscribing a new handler changed nothing: the new handler was
// never called (the message in hand was taken as a duplicate, later ones queued behind it).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

function busyChannel() {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room');
  let fail!: (e: Error) => void;
  let finish!: () => void;
  const old: number[] = [];
  const unsubscribe = ch.subscribe((m) => {
    old.push(m.offset);
    if (m.offset === 2) return new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  });
  h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
  h.msg('room', 1);
  h.msg('room', 2);
  h.msg('room', 3);
  return { h, ch, old, unsubscribe, fail: (e: Error) => fail(e), finish: () => finish() };
}

describe('a new subscribe after the last unsubscribe abandons a handler that never settled', () => {
  it('the new handler gets the message in hand and what follows, from the position', async () => {
    const { h, ch, old, unsubscribe } = busyChannel();
    await flushPromises();
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    unsubscribe();
    const seen: number[] = [];
    ch.subscribe((m) => void seen.push(m.offset));
    const sub = h.sock.frames('sub').at(-1)!;
    expect(sub.since).toEqual({ offset: 1, epoch: 'e1' });
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 2);
    h.msg('room', 3);
    h.msg('room', 4);
    await flushPromises();
    expect(seen).toEqual([2, 3, 4]);
    expect(old).toEqual([1, 2]);
    expect(ch.position).toEqual({ offset: 4, epoch: 'e1' });
  });

  it('the abandoned handler settling late moves nothing; its failure is still reported', async () => {
    const { h, ch, unsubscribe, fail } = busyChannel();
    await flushPromises();
    unsubscribe();
    const seen: number[] = [];
    ch.subscribe((m) => void seen.push(m.offset));
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 2);
    const subs = h.sock.frames('sub').length;
    fail(new Error('late'));
    await flushPromises();
    expect(h.errors.map((e) => e.code)).toEqual(['HANDLER_ERROR']);
    h.msg('room', 3);
    await flushPromises();
    expect(seen).toEqual([2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
    expect(h.sock.frames('sub').length).toBe(subs); // no redelivery asked for by the old one
  });

  it('without a new subscribe, a handler settling after the last unsubscribe still moves the position', async () => {
    const { ch, unsubscribe, finish } = busyChannel();
    await flushPromises();
    unsubscribe();
    finish();
    await flushPromises();
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
  });
});

describe('channel(name, { since }) refuses a position that is not one', () => {
  it.each([
    ['a fraction', { offset: 1.5, epoch: 'e1' }],
    ['a negative offset', { offset: -1, epoch: 'e1' }],
    ['NaN', { offset: NaN, epoch: 'e1' }],
    ['Infinity', { offset: Infinity, epoch: 'e1' }],
    ['an offset as a string', { offset: '4', epoch: 'e1' }],
    ['no epoch', { offset: 4 }],
    ['a number', 4],
  ])('%s: BAD_ARGUMENT, and the channel is neither made nor moved', (_name, since) => {
    const h = setup();
    expect(() => h.client.channel('room', { since: since as never })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringContaining('since') }));
    const made = h.client.channel('other');
    expect(() => h.client.channel('other', { since: since as never })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(made.position).toBeNull();
    expect(h.client.channel('room').position).toBeNull();
  });

  it('a valid since (offset 0 included) is taken', () => {
    const h = setup();
    expect(h.client.channel('room', { since: { offset: 0, epoch: 'e1' } }).position).toEqual({ offset: 0, epoch: 'e1' });
  });
});
