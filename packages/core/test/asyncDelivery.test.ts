// Async handlers, the buffer behind them, and what resets it: orderings in which a
// message could be skipped without a gap (found by review, each a regression test).
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { flushPromises, setup } from './support/harness';

const lastSub = (h: ReturnType<typeof setup>) => h.sock.frames('sub').at(-1);

describe('async delivery and the buffer', () => {
  it('past the 1,000-message buffer nothing later is taken: the resync from position replays the rest, in order, no gap', async () => {
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
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    // 1 in the handler, 2..1001 buffered, 1002..1100 do not fit.
    for (let o = 1; o <= 1100; o++) h.msg('room', o);
    pending.shift()!();
    await flushPromises();
    // A live message while the buffer drains (it has room again) must not jump the queue.
    h.msg('room', 1101);
    while (pending.length) {
      pending.shift()!();
      await flushPromises();
    }
    expect(got).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));
    expect(ch.position).toEqual({ offset: 1001, epoch: 'e1' });
    expect(lastSub(h).since).toEqual({ offset: 1001, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 1101, recovered: true, replay: 100 });
    for (let o = 1002; o <= 1101; o++) {
      h.msg('room', o);
      pending.shift()!();
      await flushPromises();
    }
    expect(got.slice(1000)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1001));
    expect(ch.position).toEqual({ offset: 1101, epoch: 'e1' });
    expect(gaps).toEqual([]);
  });

  it('a handler throwing while the buffer drains: the buffered rest is not delivered, the failed message is redelivered in order', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.on('error', () => {});
    const seenBySync: number[] = [];
    let release!: () => void;
    let failOnce = true;
    ch.subscribe((m) => {
      if (m.offset === 1) return new Promise<void>((r) => (release = r));
    });
    ch.subscribe((m) => {
      if (m.offset === 2 && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      seenBySync.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    release();
    await flushPromises();
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    expect(seenBySync).toEqual([1]);
    h.clock.advance(100);
    expect(lastSub(h).since).toEqual({ offset: 1, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 2 });
    h.msg('room', 2);
    h.msg('room', 3);
    await flushPromises();
    expect(seenBySync).toEqual([1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
  });

  it('the last unsubscribe from inside a handler while the buffer drains: position stays at the last message a handler saw', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    let release!: () => void;
    const off = ch.subscribe((m) => {
      got.push(m.offset);
      if (m.offset === 1) return new Promise<void>((r) => (release = r));
      if (m.offset === 2) off();
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3, 4]) h.msg('room', o);
    release();
    await flushPromises();
    expect(got).toEqual([1, 2]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
    // The next subscriber starts from there: 3 and 4 are replayed to it.
    ch.subscribe(() => {});
    expect(lastSub(h).since).toEqual({ offset: 2, epoch: 'e1' });
  });

  it('a handler rejecting after the last unsubscribe does not subscribe the channel again', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    const s = h.accept();
    const ch = h.client.channel('room');
    const errors: unknown[] = [];
    ch.on('error', (e) => errors.push(e));
    let reject!: (e: Error) => void;
    const off = ch.subscribe(() => new Promise<void>((_, rej) => (reject = rej)));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    off();
    s.push({ type: 'unsubscribed', ref: s.frames('unsub')[0].ref, channel: 'room' });
    reject(new Error('late failure'));
    await flushPromises();
    h.clock.advance(60_000);
    expect(errors.length).toBe(1); // still reported
    expect(s.frames('sub').length).toBe(1);
    expect(ch.getSnapshot().state).toBe('idle');
  });
});

describe('gaps behind an async handler', () => {
  it('a hole found while earlier messages wait in the buffer starts after the last of them, and is said after them', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const got: number[] = [];
    let release!: () => void;
    ch.subscribe((m) => {
      got.push(m.offset);
      if (m.offset === 1) return new Promise<void>((r) => (release = r));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1); // in the handler
    h.msg('room', 2); // buffered
    h.msg('room', 4); // a hole at 3: asked again from the position (0)
    // The server's log lacks 3 as well: it replays 1, 2 and 4.
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 4, recovered: true, replay: 3 });
    h.msg('room', 1); // still in the handler: deduped
    h.msg('room', 2); // buffered again
    expect(ch.getSnapshot().lastGap).toBeNull(); // read (and cached) before the gap
    h.msg('room', 4); // the same hole: a gap, said when delivery reaches it (after 2)
    expect(gaps).toEqual([]);
    release();
    await flushPromises();
    expect(got).toEqual([1, 2, 4]);
    // Missing is 3 alone: 2 was delivered before the gap.
    expect(gaps).toMatchObject([{ reason: 'hole', from: { offset: 2, epoch: 'e1' }, to: { offset: 3, epoch: 'e1' } }]);
    expect(ch.getSnapshot().lastGap).toEqual(gaps[0]);
  });
});

describe('presence enter and leave', () => {
  it('leave() before a pending enter could be sent settles that enter, and nothing is sent', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    let settled = '';
    ch.presence.enter({ n: 1 }).then(
      () => (settled = 'resolved'),
      () => (settled = 'rejected'),
    );
    void ch.presence.leave();
    await flushPromises();
    expect(settled).toBe('resolved');
    h.accept();
    expect(h.sock.frames('presence.enter')).toEqual([]);
  });
});
