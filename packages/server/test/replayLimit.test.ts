import { describe, expect, it } from 'vitest';
import { memoryBroker, type Broker } from '../src/index';
import { publishMany } from './helpers/seam';
import { useServer } from './helpers/serverFixture';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer();

const noLimits = { publishPerSec: 1e6, publishBurst: 1e6 };

/** A request/reply round trip: anything the server sent `c` before it has arrived. */
const roundTrip = (c: TestClient) => c.request({ type: 'unsub', channel: 'elsewhere' });

describe('sub with limit: a replay a page at a time (PROTOCOL §5)', () => {
  it('replays exactly `limit`, says more, sends nothing live after the page; the next sub from its end continues', async () => {
    await start(noLimits);
    const p = await connect();
    const head = await publishMany(p, 'pg', 0, 10); // offsets 1..10
    const epoch = head.epoch as string;
    const s = await connect();

    const first = await s.request({ type: 'sub', channel: 'pg', since: { offset: 0, epoch }, limit: 4 });
    expect(first).toMatchObject({ type: 'subscribed', recovered: true, replay: 4, offset: 4, more: true, epoch });
    await s.next('msg', (m) => m.offset === 4);
    // Published after the page: not sent (it would leave 5..10 as a hole before it).
    await p.publish('pg', 'live', 'live-11');
    await roundTrip(s);
    expect(s.msgs('pg').map((m) => m.offset)).toEqual([1, 2, 3, 4]);

    const second = await s.request({ type: 'sub', channel: 'pg', since: { offset: 4, epoch }, limit: 4 });
    expect(second).toMatchObject({ recovered: true, replay: 4, offset: 8, more: true });
    await s.next('msg', (m) => m.offset === 8);

    // The rest fits: no `more`, and the subscription goes live.
    const third = await s.request({ type: 'sub', channel: 'pg', since: { offset: 8, epoch }, limit: 4 });
    expect(third).toMatchObject({ recovered: true, replay: 3, offset: 11 });
    expect(third.more).toBeUndefined();
    await s.next('msg', (m) => m.offset === 11);
    await p.publish('pg', 'live', 'live-12');
    await s.next('msg', (m) => m.offset === 12);
    await roundTrip(s);
    expect(s.msgs('pg').map((m) => m.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('a loss with a limit: the gap still ends at offset - replay, and the page is the start of the retained tail', async () => {
    await start(noLimits);
    const p = await connect();
    await publishMany(p, 'lt', 0, 5);
    const s = await connect();
    const sub = await s.request({ type: 'sub', channel: 'lt', since: { offset: 3, epoch: 'e_elsewhere' }, limit: 2 });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', replay: 2, offset: 2, more: true });
    await s.next('msg', (m) => m.offset === 2);
    await roundTrip(s);
    expect(s.msgs('lt').map((m) => m.offset)).toEqual([1, 2]);
  });

  it('a limit at or above what is owed, or no limit: the whole replay, then live, no `more`', async () => {
    await start(noLimits);
    const p = await connect();
    const head = await publishMany(p, 'all', 0, 6);
    const epoch = head.epoch as string;
    for (const limit of [6, 100, undefined]) {
      const s = await connect();
      const sub = await s.request({ type: 'sub', channel: 'all', since: { offset: 0, epoch }, ...(limit ? { limit } : {}) });
      expect(sub).toMatchObject({ recovered: true, replay: 6, offset: 6 });
      expect('more' in sub).toBe(false);
      await s.next('msg', (m) => m.offset === 6);
      s.close();
    }
    const s = await connect();
    await s.request({ type: 'sub', channel: 'all', since: { offset: 0, epoch }, limit: 6 });
    await p.publish('all', 'live', 'live-7');
    await s.next('msg', (m) => m.offset === 7);
  });

  it('after a page, a sub without limit replays the rest and goes live', async () => {
    await start(noLimits);
    const p = await connect();
    const head = await publishMany(p, 'rp', 0, 8);
    const epoch = head.epoch as string;
    const s = await connect();
    await s.request({ type: 'sub', channel: 'rp', since: { offset: 0, epoch }, limit: 3 });
    await s.next('msg', (m) => m.offset === 3);
    const rest = await s.request({ type: 'sub', channel: 'rp', since: { offset: 3, epoch } });
    expect(rest).toMatchObject({ recovered: true, replay: 5, offset: 8 });
    await p.publish('rp', 'live', 'live-9');
    await s.next('msg', (m) => m.offset === 9);
    expect(s.msgs('rp').map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses a limit that is not a positive integer (BAD_FIELD), and subscribes nothing', async () => {
    await start(noLimits);
    const s = await connect();
    for (const limit of [0, -1, 1.5, '3', null, 2 ** 60]) {
      const reply = await s.request({ type: 'sub', channel: 'v', since: { offset: 0, epoch: 'e' }, limit });
      expect(reply).toMatchObject({ type: 'error', code: 'BAD_FIELD' });
    }
    const ok = await s.request({ type: 'sub', channel: 'v', limit: 1 });
    expect(ok.type).toBe('subscribed');
  });
});

describe('a replay yields the event loop between pages', () => {
  it('timers run between the pages of one replay (a memory-broker replay ran in one synchronous stretch)', async () => {
    const inner = memoryBroker({ retention: 5000 });
    let turns = 0;
    const seenAt: number[] = [];
    const broker: Broker = {
      ...inner,
      publish: (...a) => inner.publish(...a),
      onMessage: (...a) => inner.onMessage(...a),
      presenceList: (...a) => inner.presenceList(...a),
      position: (...a) => inner.position(...a),
      read(channel, after, limit) {
        seenAt.push(turns);
        return inner.read(channel, after, limit);
      },
    };
    await start({ ...noLimits, broker });
    const p = await connect();
    const head = await publishMany(p, 'big', 0, 1000); // five pages of 200
    const s = await connect();
    // Counts turns of the event loop, bounded in time.
    let on = true;
    const tick = () => {
      turns++;
      if (on && turns < 1e6) setImmediate(tick);
    };
    setImmediate(tick);
    seenAt.length = 0;
    try {
      await s.request({ type: 'sub', channel: 'big', since: { offset: 0, epoch: head.epoch } });
      await s.next('msg', (m) => m.offset === 1000);
    } finally {
      on = false;
    }
    expect(seenAt.length).toBe(5);
    // Each later page was read on a later turn than the one before it.
    for (let i = 1; i < seenAt.length; i++) expect(seenAt[i]).toBeGreaterThan(seenAt[i - 1]!);
  });
});
