// A hole met inside a page of a paged catch-up (PROTOCOL §5: the log itself skips offsets)
// re-subscribes to fill it. That re-subscribe went out without `limit`: the server sent the
// whole rest of the backlog again (of which the buffer keeps 1000), the ~backlog²/2000 cost
// paging removed, once per hole crossed while catching up.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

const subs = (h: ReturnType<typeof setup>) => h.sock.frames('sub');
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('paged catch-up across a hole in the log', () => {
  it('the re-subscribe that asks for the hole is a page too (limit 1000); the catch-up goes on to the head, nothing twice or lost', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const pending: Array<() => void> = [];
    ch.subscribe((m) => {
      got.push(m.offset);
      return new Promise<void>((r) => pending.push(r));
    });
    const drain = async () => {
      while (pending.length) {
        pending.shift()!();
        await flushPromises();
      }
    };
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (let o = 1; o <= 1500; o++) h.msg('room', o); // overflowed: 1002.. dropped
    await drain();
    const page = subs(h).at(-1);
    expect(page).toMatchObject({ since: { offset: 1001, epoch: 'e1' }, limit: 1000 });

    // The log holds 1002..1499 and 1501..100000 (no message at 1500): a page of 1000.
    h.sock.push({ type: 'subscribed', ref: page.ref, channel: 'room', epoch: 'e1', offset: 2002, recovered: true, replay: 1000, more: true });
    for (let o = 1002; o <= 1499; o++) h.msg('room', o);
    h.msg('room', 1501); // a hole: asked for once, from the position (1001; 1002 in hand)
    const hole = subs(h).at(-1);
    expect(hole).not.toBe(page);
    expect(hole).toMatchObject({ since: { offset: 1001, epoch: 'e1' } });
    expect(hole.limit).toBe(1000); // without it: ~99,000 messages sent again

    // Its page: 1002 (in hand already: dropped as a duplicate) .. 1499, 1501 .. 2002.
    h.sock.push({ type: 'subscribed', ref: hole.ref, channel: 'room', epoch: 'e1', offset: 2002, recovered: true, replay: 1000, more: true });
    for (let o = 1002; o <= 2002; o++) if (o !== 1500) h.msg('room', o);
    await drain();
    // The page counted to its end although its first message was a duplicate: the next is asked for.
    const next = subs(h).at(-1);
    expect(next).not.toBe(hole);
    expect(next).toMatchObject({ since: { offset: 2002, epoch: 'e1' }, limit: 1000 });
    h.sock.push({ type: 'subscribed', ref: next.ref, channel: 'room', epoch: 'e1', offset: 2100, recovered: true, replay: 98 });
    for (let o = 2003; o <= 2100; o++) h.msg('room', o);
    await drain();

    expect(got).toEqual([...range(1, 1499), ...range(1501, 2100)]);
    expect(gaps.map((g) => [g.from?.offset, g.to.offset, g.reason])).toEqual([[1499, 1500, 'hole']]);
    expect(ch.position).toEqual({ offset: 2100, epoch: 'e1' });
  });
});
