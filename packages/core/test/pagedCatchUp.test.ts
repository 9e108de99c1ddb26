// A handler slower than the publish rate overflows the 1,000-message buffer. Its resync
// asks for a page (`limit`) of the replay at a time, PROTOCOL §5: asking for the whole
// backlog, of which the buffer kept 1,000 and dropped the rest, made the server send
// ~backlog²/2000 messages (23x the log in a trial).
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

const subs = (h: ReturnType<typeof setup>) => h.sock.frames('sub');
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function slowChannel(h: ReturnType<typeof setup>) {
  const ch = h.client.channel('room');
  const got: number[] = [];
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  const pending: Array<() => void> = [];
  ch.subscribe((m) => {
    got.push(m.offset);
    return new Promise<void>((r) => pending.push(r));
  });
  /** Lets the handler finish everything handed to it so far, one message at a time. */
  const drain = async () => {
    while (pending.length) {
      pending.shift()!();
      await flushPromises();
    }
  };
  return { ch, got, gaps, drain, pending };
}

describe('paged catch-up after the buffer overflowed', () => {
  it('the resync carries limit 1000; `more` → the next page once this one is handled; ends live; nothing lost or twice', async () => {
    const h = setup();
    h.accept();
    const { ch, got, gaps, drain, pending } = slowChannel(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect('limit' in subs(h)[0]).toBe(false); // a first subscribe asks for everything
    // 1 in the handler, 2..1001 buffered, 1002..1500 dropped: overflowed.
    for (let o = 1; o <= 1500; o++) h.msg('room', o);
    await drain();
    expect(got).toEqual(range(1, 1001));
    const second = subs(h).at(-1);
    expect(second).toMatchObject({ since: { offset: 1001, epoch: 'e1' }, limit: 1000 });

    // The server holds 1002..2600: a page of 1000, then more.
    h.sock.push({ type: 'subscribed', ref: second.ref, channel: 'room', epoch: 'e1', offset: 2001, recovered: true, replay: 1000, more: true });
    for (let o = 1002; o <= 2001; o++) h.msg('room', o);
    // The page fits the buffer (1 in hand + 999): nothing asked for until it is handled.
    expect(subs(h).length).toBe(2);
    for (let i = 0; i < 999; i++) {
      pending.shift()!();
      await flushPromises();
    }
    expect(got.at(-1)).toBe(2001); // the last of the page in hand
    expect(subs(h).length).toBe(2);
    await drain();
    expect(got).toEqual(range(1, 2001));
    const third = subs(h).at(-1);
    expect(subs(h).length).toBe(3);
    expect(third).toMatchObject({ since: { offset: 2001, epoch: 'e1' }, limit: 1000 });

    // The rest fits in one page: no `more`, the subscription is live.
    h.sock.push({ type: 'subscribed', ref: third.ref, channel: 'room', epoch: 'e1', offset: 2600, recovered: true, replay: 599 });
    for (let o = 2002; o <= 2600; o++) h.msg('room', o);
    await drain();
    h.msg('room', 2601); // live
    await drain();
    expect(subs(h).length).toBe(3);
    expect(got).toEqual(range(1, 2601));
    expect(ch.position).toEqual({ offset: 2601, epoch: 'e1' });
    expect(gaps).toEqual([]);
    expect(ch.getSnapshot().state).toBe('subscribed');
    const stats = h.client.stats();
    expect(stats.replayed).toBe(1599);
  });

  it('a sync handler: the next page is asked for right after the last message of a page', () => {
    const h = setup();
    h.accept();
    const got: number[] = [];
    const ch = h.client.channel('room', { since: { offset: 10, epoch: 'e1' } });
    ch.subscribe((m) => void got.push(m.offset));
    // Answered with `more` (as if a limit had been asked for): the page, then the next one.
    h.sock.push({ type: 'subscribed', ref: subs(h)[0].ref, channel: 'room', epoch: 'e1', offset: 13, recovered: true, replay: 3, more: true });
    h.msg('room', 11);
    h.msg('room', 12);
    expect(subs(h).length).toBe(1);
    h.msg('room', 13);
    expect(subs(h).length).toBe(2);
    expect(subs(h)[1]).toMatchObject({ since: { offset: 13, epoch: 'e1' }, limit: 1000 });
    expect(got).toEqual([11, 12, 13]);
  });

  it('a page after a loss: the gap ends where the page starts; a reconnect meanwhile subscribes without a limit', async () => {
    const h = setup();
    h.accept();
    const { ch, got, gaps, drain } = slowChannel(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (let o = 1; o <= 1002; o++) h.msg('room', o);
    await drain();
    const resync = subs(h).at(-1);
    expect(resync).toMatchObject({ since: { offset: 1001, epoch: 'e1' }, limit: 1000 });
    // The log was trimmed past 1001 (retained from 3000 up): a page of the retained tail.
    h.sock.push({ type: 'subscribed', ref: resync.ref, channel: 'room', epoch: 'e1', offset: 3999, recovered: false, reason: 'out-of-retention', replay: 1000, more: true });
    expect(gaps.map((g) => [g.from?.offset, g.to.offset, g.reason])).toEqual([[1001, 2999, 'out-of-retention']]);
    for (let o = 3000; o <= 3010; o++) h.msg('room', o);
    await drain();
    // The connection drops mid-page: a normal reconnect asks for everything from the position.
    h.sock.close(1006);
    await h.clock.advance(60_000);
    h.accept();
    const after = subs(h).at(-1);
    expect(after.since).toEqual({ offset: 3010, epoch: 'e1' });
    expect('limit' in after).toBe(false);
    expect(got).toEqual([...range(1, 1001), ...range(3000, 3010)]);
    expect(ch.position).toEqual({ offset: 3010, epoch: 'e1' });
  });
});
