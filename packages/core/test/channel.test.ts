import { describe, expect, it } from 'vitest';
import { isLifelineError, type GapEvent, type Message } from '../src';
import { flushPromises, setup } from './support/harness';

function subscribed(h: ReturnType<typeof setup>, name = 'room', over: Record<string, unknown> = {}) {
  const ch = h.client.channel(name);
  const got: Message[] = [];
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  const off = ch.subscribe((m) => void got.push(m));
  return { ch, got, gaps, off, offsets: () => got.map((m) => m.offset), ...over };
}
const lastSub = (h: ReturnType<typeof setup>, name = 'room') => h.sock.frames('sub').filter((f) => f.channel === name).at(-1);

describe('channels', () => {
  it('channel(name) returns the same object; handlers are reference-counted on the wire', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    expect(h.client.channel('room')).toBe(ch);
    const off1 = ch.subscribe(() => {});
    const off2 = ch.subscribe(() => {});
    expect(s.frames('sub').length).toBe(1);
    off1();
    off1();
    expect(s.frames('unsub').length).toBe(0);
    off2();
    expect(s.frames('unsub')).toMatchObject([{ channel: 'room' }]);
    expect(ch.getSnapshot().state).toBe('unsubscribing');
    s.push({ type: 'unsubscribed', ref: s.frames('unsub')[0].ref, channel: 'room' });
    expect(ch.getSnapshot().state).toBe('idle');
  });

  it('first subscribe starts live at the head; every reconnect resubscribes with since = position', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const c = subscribed(h);
    expect(lastSub(h).since).toBeUndefined();
    h.answerSubs({ room: { offset: 5, epoch: 'e1' } });
    expect(c.ch.position).toEqual({ offset: 5, epoch: 'e1' });
    h.msg('room', 6);
    h.msg('room', 7);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    expect(lastSub(h).since).toEqual({ offset: 7, epoch: 'e1' });
    h.answerSubs({ room: { offset: 9, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 8);
    h.msg('room', 9);
    expect(c.offsets()).toEqual([6, 7, 8, 9]);
    expect(h.client.stats()).toMatchObject({ replayed: 2, received: 4 });
    expect(c.gaps).toEqual([]);
  });

  it('channel(name, { since }) starts from a checkpoint', () => {
    const h = setup();
    h.accept();
    h.client.channel('cp', { since: { offset: 3, epoch: 'eX' } }).subscribe(() => {});
    expect(lastSub(h, 'cp').since).toEqual({ offset: 3, epoch: 'eX' });
  });

  it('channel(name, { since }) on a channel made earlier without it (presence, publish) still starts from the checkpoint', () => {
    const h = setup();
    h.accept();
    const first = h.client.channel('cp'); // e.g. usePresence('cp') rendered first
    void first.presence.members();
    const ch = h.client.channel('cp', { since: { offset: 3, epoch: 'eX' } });
    expect(ch).toBe(first);
    expect(ch.position).toEqual({ offset: 3, epoch: 'eX' });
    expect(ch.getSnapshot().position).toEqual({ offset: 3, epoch: 'eX' });
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    expect(lastSub(h, 'cp').since).toEqual({ offset: 3, epoch: 'eX' });
    h.answerSubs({ cp: { offset: 5, epoch: 'eX', recovered: true, replay: 2 } });
    h.msg('cp', 4, 'eX');
    h.msg('cp', 5, 'eX');
    expect(got).toEqual([4, 5]);
  });

  it('since given while the first sub (without it) awaits its answer: asked again from the checkpoint', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h, 'cp');
    expect(lastSub(h, 'cp').since).toBeUndefined();
    h.client.channel('cp', { since: { offset: 3, epoch: 'e1' } });
    expect(lastSub(h, 'cp').since).toEqual({ offset: 3, epoch: 'e1' });
    const subs = h.sock.frames('sub');
    expect(subs.length).toBe(2);
    // The first sub's answer is stale (its ref); the second one's recovers from the checkpoint.
    h.sock.push({ type: 'subscribed', ref: subs[0].ref, channel: 'cp', offset: 5, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: subs[1].ref, channel: 'cp', offset: 5, epoch: 'e1', recovered: true, replay: 2 });
    h.msg('cp', 4);
    h.msg('cp', 5);
    expect(c.offsets()).toEqual([4, 5]);
    expect(c.gaps).toEqual([]);
  });

  it('a channel that has a position keeps it: a later since is ignored (its handlers would see messages twice)', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h, 'cp');
    h.answerSubs({ cp: { offset: 7, epoch: 'e1' } });
    h.client.channel('cp', { since: { offset: 3, epoch: 'e1' } });
    expect(c.ch.position).toEqual({ offset: 7, epoch: 'e1' });
  });

  it('dedupes by (epoch, offset) and delivers strictly in order', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 2, 1, 3]) h.msg('room', o);
    expect(c.offsets()).toEqual([1, 2, 3]);
    expect(h.client.stats().deduped).toBe(2);
  });

  it('ignores messages while its subscribe answer is pending (the replay brings them)', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.msg('room', 1);
    expect(c.got).toEqual([]);
  });

  it('a hole on the live stream asks for a replay from position; filled → no gap', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 3); // 2 is missing
    expect(lastSub(h).since).toEqual({ offset: 1, epoch: 'e1' });
    h.msg('room', 4); // ignored until the answer
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 4, recovered: true, replay: 3 });
    for (const o of [2, 3, 4, 5]) h.msg('room', o);
    expect(c.offsets()).toEqual([1, 2, 3, 4, 5]);
    expect(c.gaps).toEqual([]);
  });

  it('a hole at an offset where one was filled in an earlier epoch is still asked for, not a gap', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 3); // 2 lost on the way: asked for and filled
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 2 });
    h.msg('room', 2);
    h.msg('room', 3);
    // The broker lost its history: a new epoch, offsets from 1 again.
    h.msg('room', 1, 'e2');
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e2', offset: 1, recovered: false, reason: 'epoch-changed' });
    expect(c.gaps.map((g) => g.reason)).toEqual(['epoch-changed']);
    h.msg('room', 3, 'e2'); // e2#2 lost on the way: the same offset as the earlier hole, another epoch
    expect(c.gaps.map((g) => g.reason)).toEqual(['epoch-changed']);
    expect(lastSub(h).since).toEqual({ offset: 1, epoch: 'e2' });
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e2', offset: 3, recovered: true, replay: 2 });
    h.msg('room', 2, 'e2');
    h.msg('room', 3, 'e2');
    expect(c.got.map((m) => `${m.epoch}#${m.offset}`)).toEqual(['e1#1', 'e1#2', 'e1#3', 'e2#2', 'e2#3']);
  });

  it('recovered:false raises exactly one gap from position to the server head', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e2', recovered: false, reason: 'epoch-changed' } });
    h.msg('room', 1, 'e2');
    expect(c.gaps).toEqual([
      { channel: 'room', from: { offset: 1, epoch: 'e1' }, to: { offset: 0, epoch: 'e2' }, reason: 'epoch-changed' },
    ]);
    expect(c.got.map((m) => [m.epoch, m.offset])).toEqual([
      ['e1', 1],
      ['e2', 1],
    ]);
    expect(c.ch.getSnapshot().lastGap).toEqual(c.gaps[0]);
    expect(h.client.stats().gaps).toBe(1);
  });

  it('a hole the server cannot fill is one gap with reason hole, then delivery goes on', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 3);
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 0 });
    h.msg('room', 3); // still a hole at 2
    h.msg('room', 4);
    expect(c.gaps).toMatchObject([{ reason: 'hole', from: { offset: 1 }, to: { offset: 2 } }]);
    expect(c.offsets()).toEqual([1, 3, 4]);
  });

  it('snapshot listeners told of a gap read it in the snapshot (lastGap set before they are told)', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    const seenInListener: unknown[] = [];
    c.ch.subscribeSnapshot(() => {
      const snap = c.ch.getSnapshot();
      seenInListener.push([snap.position?.offset, snap.lastGap?.reason ?? null]);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 3);
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 0 });
    h.msg('room', 3); // still a hole at 2: the gap moves the position
    expect(c.gaps.length).toBe(1);
    // The gap moved the position to 2 (past the hole): told then, the snapshot has the gap.
    expect(seenInListener.filter(([offset]: any) => offset === 2)).toEqual([[2, 'hole']]);
    expect(c.ch.getSnapshot().lastGap).toMatchObject({ reason: 'hole' });
  });

  it('position advances only after the handler returned', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const seen: Array<number | undefined> = [];
    ch.subscribe((m) => void seen.push(ch.position?.offset));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    expect(seen).toEqual([0, 1]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
  });

  it('a throwing handler (redeliver, default): error event, no position advance, redelivered after backoff', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    const errs: any[] = [];
    ch.on('error', (e) => errs.push(e));
    let fail = true;
    const got: number[] = [];
    ch.subscribe((m) => {
      if (m.offset === 2 && fail) {
        fail = false;
        throw new Error('boom');
      }
      got.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    h.msg('room', 3); // dropped while waiting: it will be replayed
    expect(isLifelineError(errs[0], 'HANDLER_ERROR')).toBe(true);
    expect(ch.position).toEqual({ offset: 1, epoch: 'e1' });
    const subs = h.sock.frames('sub').length;
    h.clock.advance(100);
    expect(h.sock.frames('sub').length).toBe(subs + 1);
    expect(lastSub(h).since).toEqual({ offset: 1, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: lastSub(h).ref, channel: 'room', epoch: 'e1', offset: 3, recovered: true, replay: 2 });
    h.msg('room', 2);
    h.msg('room', 3);
    expect(got).toEqual([1, 2, 3]);
    expect(h.errors.some((e) => e.code === 'HANDLER_ERROR')).toBe(true);
  });

  it('a throwing handler with onHandlerError skip: error event, gap handler-skipped, position moves on', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room', { onHandlerError: 'skip' });
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const got: number[] = [];
    ch.subscribe((m) => {
      if (m.offset === 2) throw new Error('boom');
      got.push(m.offset);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    expect(got).toEqual([1, 3]);
    expect(gaps).toMatchObject([{ reason: 'handler-skipped', from: { offset: 1 }, to: { offset: 2 } }]);
  });

  it('skip + an async handler that rejects while later messages are buffered: the next live message is not a hole', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room', { onHandlerError: 'skip' });
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const got: number[] = [];
    const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
    ch.subscribe((m) => new Promise<void>((resolve, reject) => void pending.push({ resolve: () => (got.push(m.offset), resolve()), reject })));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o); // 2 and 3 wait behind 1
    const subs = h.sock.frames('sub').length;
    pending[0]!.reject(new Error('boom'));
    await flushPromises();
    expect(gaps).toMatchObject([{ reason: 'handler-skipped', to: { offset: 1 } }]);
    h.msg('room', 4); // live, right after the buffered 3
    for (let i = 1; i < 4; i++) {
      pending[i]!.resolve();
      await flushPromises();
    }
    expect(got).toEqual([2, 3, 4]);
    expect(h.sock.frames('sub').length).toBe(subs); // no re-subscribe for a hole
    expect(gaps.length).toBe(1);
    expect(ch.position!.offset).toBe(4);
  });

  it('async handlers run one at a time in order; position follows each completion', async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const log: string[] = [];
    const resolvers: Array<() => void> = [];
    ch.subscribe(
      (m) =>
        new Promise<void>((r) => {
          log.push(`start ${m.offset}`);
          resolvers.push(() => {
            log.push(`end ${m.offset}`);
            r();
          });
        }),
    );
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 2);
    expect(log).toEqual(['start 1']);
    expect(ch.position!.offset).toBe(0);
    resolvers[0]!();
    await flushPromises();
    expect(ch.position!.offset).toBe(1);
    expect(log).toEqual(['start 1', 'end 1', 'start 2']);
    resolvers[1]!();
    await flushPromises();
    expect(ch.position!.offset).toBe(2);
  });

  it('a reconnect during an async handler replays what was buffered exactly once', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    let release!: () => void;
    ch.subscribe((m) => {
      got.push(m.offset);
      if (m.offset === 1) return new Promise<void>((r) => (release = r));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    expect(lastSub(h).since).toEqual({ offset: 0, epoch: 'e1' });
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 3 } });
    for (const o of [1, 2, 3]) h.msg('room', o);
    release();
    await flushPromises();
    expect(got).toEqual([1, 2, 3]);
    expect(ch.position!.offset).toBe(3);
  });

  it('a subscribe refused by the server marks the channel failed and reports the error', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('secret');
    const errs: any[] = [];
    ch.on('error', (e) => errs.push(e));
    ch.subscribe(() => {});
    h.sock.push({ type: 'error', code: 'FORBIDDEN', message: 'no', ref: lastSub(h, 'secret').ref, channel: 'secret' });
    expect(ch.getSnapshot()).toMatchObject({ state: 'failed', error: { serverCode: 'FORBIDDEN' } });
    expect(errs[0]).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'FORBIDDEN' });
  });

  it('a subscribe answered by a transient error with retryAfterMs is re-sent from position after that delay', () => {
    const h = setup();
    h.accept();
    const c = subscribed(h);
    h.answerSubs({ room: { offset: 4, epoch: 'e1' } });
    h.msg('room', 5);
    h.msg('room', 7); // a hole: the channel re-subscribes from position
    const ref = lastSub(h).ref;
    h.sock.push({ type: 'error', code: 'BROKER_UNAVAILABLE', message: 'later', ref, channel: 'room', retryAfterMs: 1000 });
    expect(c.ch.getSnapshot().state).not.toBe('failed');
    expect(h.errors[0]).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'BROKER_UNAVAILABLE' });
    h.clock.advance(999);
    expect(lastSub(h).ref).toBe(ref);
    h.clock.advance(1);
    expect(lastSub(h).ref).not.toBe(ref);
    expect(lastSub(h).since).toEqual({ offset: 5, epoch: 'e1' });
    h.answerSubs({ room: { offset: 7, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 6);
    h.msg('room', 7);
    expect(c.offsets()).toEqual([5, 6, 7]);
    expect(c.ch.getSnapshot().state).toBe('subscribed');
  });

  it.each([['negative', -5], ['a string', '5']])(
    'a transient error whose retryAfterMs is %s re-sends the subscribe after 1 s: neither at once nor never',
    (_, retryAfterMs) => {
      const h = setup();
      h.accept();
      const c = subscribed(h);
      const ref = lastSub(h).ref;
      h.sock.push({ type: 'error', code: 'BROKER_UNAVAILABLE', message: 'later', ref, channel: 'room', retryAfterMs });
      expect(c.ch.getSnapshot().state).not.toBe('failed');
      h.clock.advance(999);
      expect(lastSub(h).ref).toBe(ref);
      h.clock.advance(1);
      expect(lastSub(h).ref).not.toBe(ref);
    },
  );

  it('a pending transient-retry timer is cleared by unsubscribe and by close', async () => {
    for (const end of ['unsub', 'close'] as const) {
      const h = setup();
      h.accept();
      const c = subscribed(h);
      const base = h.clock.pending();
      h.sock.push({ type: 'error', code: 'BROKER_UNAVAILABLE', message: 'later', ref: lastSub(h).ref, channel: 'room', retryAfterMs: 1000 });
      expect(h.clock.pending()).toBe(base + 1);
      if (end === 'unsub') {
        c.off();
        expect(h.clock.pending()).toBe(base);
      } else {
        const closed = h.client.close();
        h.sock.serverClose(1000);
        await closed;
        expect(h.clock.pending()).toBe(0);
      }
      const subs = h.sock.frames('sub').length;
      h.clock.advance(5000);
      expect(h.sock.frames('sub').length).toBe(subs);
    }
  });

  it('a subscribe error without retryAfterMs (TOO_MANY_CHANNELS, BAD_FIELD) still fails the channel', () => {
    for (const code of ['TOO_MANY_CHANNELS', 'BAD_FIELD']) {
      const h = setup();
      h.accept();
      const c = subscribed(h);
      h.sock.push({ type: 'error', code, message: 'no', ref: lastSub(h).ref, channel: 'room' });
      expect(c.ch.getSnapshot()).toMatchObject({ state: 'failed', error: { serverCode: code } });
      const subs = h.sock.frames('sub').length;
      h.clock.advance(2_000);
      expect(h.sock.frames('sub').length).toBe(subs);
    }
  });

  it('subscribeSnapshot is told about state and position changes; snapshots are immutable', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    let calls = 0;
    ch.subscribeSnapshot(() => calls++);
    ch.subscribe(() => {});
    const s1 = ch.getSnapshot();
    expect(s1.state).toBe('subscribing');
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    const s2 = ch.getSnapshot();
    expect(s2).not.toBe(s1);
    expect(s2).toMatchObject({ state: 'subscribed', position: { offset: 1 } });
    expect(ch.getSnapshot()).toBe(s2);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});

describe('presence', () => {
  it('members snapshot from subscribe, join/leave/update events, enter resolves on presence.ok', async () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const seen: number[] = [];
    ch.on('presence', (m) => seen.push(m.length));
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1', presence: [{ clientId: 'a', info: 1 }] } as any });
    expect(ch.presence.members()).toEqual([{ clientId: 'a', info: 1 }]);
    s.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: 'b' } });
    s.push({ type: 'presence', channel: 'room', event: 'update', member: { clientId: 'a', info: 2 } });
    s.push({ type: 'presence', channel: 'room', event: 'leave', member: { clientId: 'b' } });
    expect(ch.presence.members()).toEqual([{ clientId: 'a', info: 2 }]);
    expect(seen).toEqual([1, 2, 2, 1]);
    let done = false;
    void ch.presence.enter({ name: 'ada' }).then(() => (done = true));
    const enter = s.frames('presence.enter')[0];
    expect(enter).toMatchObject({ channel: 'room', info: { name: 'ada' } });
    s.push({ type: 'presence.ok', ref: enter.ref, channel: 'room' });
    await flushPromises();
    expect(done).toBe(true);
  });

  it('enter is re-sent automatically after a reconnect; leave stops that', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    void ch.presence.enter({ n: 1 });
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    expect(h.sock.frames('presence.enter')).toMatchObject([{ info: { n: 1 } }]);
    void ch.presence.leave();
    expect(h.sock.frames('presence.leave').length).toBe(1);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    expect(h.sock.frames('presence.enter')).toEqual([]);
  });
});
