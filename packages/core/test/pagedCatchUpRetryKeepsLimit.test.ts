// A handler that fails on a message of a paged catch-up ('redeliver') re-subscribes from the
// position after a backoff. That re-subscribe went out without `limit`: the server sent the
// whole rest of the backlog again, of which the buffer keeps 1000 (and overflowed, and paged
// again). A handler failing now and then while catching up on a long backlog (a database
// write refused once in a while) so cost the server about backlog²/2000 messages again, the
// cost paged catch-up removed.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

const subs = (h: ReturnType<typeof setup>) => h.sock.frames('sub');
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('paged catch-up and a handler failure', () => {
  it('the redelivery after a failure on a page is asked for as a page (limit 1000); nothing lost or twice', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const pending: Array<[number, (fail?: boolean) => void]> = [];
    let failAt = 1500;
    ch.subscribe(
      (m) =>
        new Promise<void>((resolve, reject) =>
          pending.push([m.offset, () => (m.offset === failAt ? ((failAt = -1), reject(new Error('db busy'))) : (got.push(m.offset), resolve()))]),
        ),
    );
    h.client.on('error', () => {});
    const drain = async () => {
      while (pending.length) {
        pending.shift()![1]();
        await flushPromises();
      }
    };
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (let o = 1; o <= 1500; o++) h.msg('room', o); // overflowed
    await drain();
    const page = subs(h).at(-1);
    expect(page).toMatchObject({ since: { offset: 1001, epoch: 'e1' }, limit: 1000 });
    // The log holds 1002..100000: a page of 1000; the handler fails on 1500.
    h.sock.push({ type: 'subscribed', ref: page.ref, channel: 'room', epoch: 'e1', offset: 2001, recovered: true, replay: 1000, more: true });
    for (let o = 1002; o <= 2001; o++) h.msg('room', o);
    await drain();
    expect(got.at(-1)).toBe(1499);
    await h.clock.advance(1000); // the backoff
    const retry = subs(h).at(-1);
    expect(retry).not.toBe(page);
    expect(retry).toMatchObject({ since: { offset: 1499, epoch: 'e1' } });
    expect(retry.limit).toBe(1000); // without it: ~98,500 messages sent again
    h.sock.push({ type: 'subscribed', ref: retry.ref, channel: 'room', epoch: 'e1', offset: 2499, recovered: true, replay: 1000, more: true });
    for (let o = 1500; o <= 2499; o++) h.msg('room', o);
    await drain();
    expect(got).toEqual(range(1, 2499));
    expect(subs(h).at(-1)).toMatchObject({ since: { offset: 2499, epoch: 'e1' }, limit: 1000 });
    expect(gaps).toEqual([]);
  });
});
