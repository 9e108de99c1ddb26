import { describe, expect, it } from 'vitest';
import { memoryBroker, type Broker } from '../src/index';
import { expectContiguous, publishMany, seamUnderFlood } from './helpers/seam';
import { useServer } from './helpers/serverFixture';

const { start, connect, clients } = useServer();

/** Wraps a broker so attaching and every log read take real time: publishes keep landing meanwhile. */
function slowBroker(inner: Broker, attachMs: number, readMs: number): Broker {
  const pause = (ms = readMs) => new Promise((r) => setTimeout(r, ms));
  return {
    ...inner,
    publish: (...a) => inner.publish(...a),
    async onMessage(channel, listener) {
      await pause(attachMs);
      return inner.onMessage(channel, listener);
    },
    presenceList: (...a) => inner.presenceList(...a),
    async read(channel, after, limit) {
      await pause();
      return inner.read(channel, after, limit);
    },
    async position(channel) {
      await pause();
      return inner.position(channel);
    },
  };
}

const noLimits = { publishPerSec: 1e6, publishBurst: 1e6 };

describe('subscribe with since: replay then live', () => {
  it('replays retained messages after since, then continues live', async () => {
    await start(noLimits);
    const p = await connect();
    const first = await p.publish('r', 0, 'first');
    await publishMany(p, 'r', 1, 9); // offsets 1..10
    const s = await connect();
    const sub = await s.subscribe('r', { offset: 4, epoch: first.epoch });
    expect(sub).toMatchObject({ type: 'subscribed', recovered: true, replay: 6, offset: 10, epoch: first.epoch });
    await s.next('msg', (m) => m.offset === 10);
    await p.publish('r', 'live', 'live-1');
    await s.next('msg', (m) => m.offset === 11);
    expectContiguous(s, 'r', 4, 11);
    // the reply precedes the replayed messages
    const idx = s.frames.findIndex((f) => f.type === 'subscribed');
    expect(s.frames.slice(idx + 1, idx + 7).map((f) => f.offset)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  for (const [label, makeBroker] of [
    ['memory broker', () => memoryBroker({ retention: 5000 })],
    ['memory broker with 40 ms attach and 10 ms reads', () => slowBroker(memoryBroker({ retention: 5000 }), 40, 10)],
  ] as const) {
    it(`no gap and no duplicate at the seam while a publisher floods during the replay (${label})`, async () => {
      const server = await start({ ...noLimits, broker: makeBroker() });
      await seamUnderFlood(server.url, clients);
    });
  }

  it('recovered: false, reason epoch-changed, for a position from another epoch: the retained tail follows, then live', async () => {
    await start();
    const p = await connect();
    await p.publish('e', 1, 'e1');
    await p.publish('e', 2, 'e2');
    const s = await connect();
    const sub = await s.subscribe('e', { offset: 1, epoch: 'e_somewhere_else' });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 2, replay: 2 });
    await s.next('msg', (m) => m.offset === 2);
    await p.publish('e', 3, 'e3');
    await s.next('msg', (m) => m.offset === 3);
    expect(s.msgs('e').map((m) => m.offset)).toEqual([1, 2, 3]);
    // the reply precedes the tail
    const idx = s.frames.findIndex((f) => f.type === 'subscribed');
    expect(s.frames.slice(idx + 1, idx + 3).map((f) => f.offset)).toEqual([1, 2]);
  });

  it('recovered: false, reason epoch-changed, on an empty log: no replay field, live continues', async () => {
    await start();
    const p = await connect();
    const s = await connect();
    const sub = await s.subscribe('empty', { offset: 7, epoch: 'e_somewhere_else' });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0 });
    expect(sub.replay).toBeUndefined();
    await p.publish('empty', 1, 'x1');
    await s.next('msg', (m) => m.offset === 1);
    expect(s.msgs('empty').map((m) => m.offset)).toEqual([1]);
  });

  it('recovered: false, reason out-of-retention, when since fell out of the window: the retained window follows; the edge is still recovered', async () => {
    await start({ retention: 5 });
    const p = await connect();
    const first = await p.publish('o', 1, 'o1');
    for (let i = 2; i <= 10; i++) await p.publish('o', i, `o${i}`); // retained: 6..10
    const lost = await connect();
    const r1 = await lost.subscribe('o', { offset: 4, epoch: first.epoch });
    expect(r1).toMatchObject({ recovered: false, reason: 'out-of-retention', offset: 10, epoch: first.epoch, replay: 5 });
    await lost.next('msg', (m) => m.offset === 10);
    const edge = await connect();
    const r2 = await edge.subscribe('o', { offset: 5, epoch: first.epoch });
    expect(r2).toMatchObject({ recovered: true, replay: 5, offset: 10 });
    await edge.next('msg', (m) => m.offset === 10);
    expectContiguous(edge, 'o', 5, 10);
    await p.publish('o', 11, 'o11');
    await lost.next('msg', (m) => m.offset === 11);
    expectContiguous(lost, 'o', 5, 11);
  });

  for (const [label, makeBroker] of [
    ['memory broker', () => memoryBroker({ retention: 5000 })],
    ['memory broker with 40 ms attach and 10 ms reads', () => slowBroker(memoryBroker({ retention: 5000 }), 40, 10)],
  ] as const) {
    it(`the tail after an epoch change: no gap and no duplicate at the seam while a publisher floods (${label})`, async () => {
      const broker = makeBroker();
      await start({ ...noLimits, broker });
      const p = await connect();
      await publishMany(p, 'tf', 1, 300);
      const s = await connect();
      const flood = publishMany(p, 'tf', 301, 1500, 25, 4);
      await new Promise((r) => setTimeout(r, 20));
      const sub = await s.subscribe('tf', { offset: 5000, epoch: 'e_before_restart' });
      expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed' });
      expect(sub.replay).toBe(sub.offset); // the whole log (retention 5000) follows
      expect(sub.offset).toBeLessThan(1800); // subscribed while the flood went on
      await flood;
      await s.next('msg', (m) => m.offset === 1800, 0, 15_000);
      expectContiguous(s, 'tf', 0, 1800);
    });
  }

  it('since ahead of the head in the same epoch is an explicit gap (the log lost what the client has), not recovered with replay 0', async () => {
    await start();
    const p = await connect();
    const a = await p.publish('h', 1, 'h1');
    const s = await connect();
    const reply = await s.subscribe('h', { offset: 50, epoch: a.epoch });
    expect(reply).toMatchObject({ recovered: false, reason: 'out-of-retention', offset: 1, epoch: a.epoch });
    expect(reply.replay).toBeUndefined();
    // live continues after the reply's offset; the epoch is unchanged for everyone
    expect(await p.publish('h', 2, 'h2')).toMatchObject({ offset: 2, epoch: a.epoch });
    await s.next('msg', (m) => m.offset === 2);
    const at = await connect();
    expect(await at.subscribe('h', { offset: 1, epoch: a.epoch })).toMatchObject({ recovered: true, replay: 1, offset: 2 });
  });

  it('re-subscribing with since on a live subscription replays from since without duplicating live traffic', async () => {
    await start();
    const p = await connect();
    const s = await connect();
    const sub = await s.subscribe('re');
    for (let i = 1; i <= 4; i++) await p.publish('re', i, `re${i}`);
    await s.next('msg', (m) => m.offset === 4);
    const again = await s.subscribe('re', { offset: 2, epoch: sub.epoch });
    expect(again).toMatchObject({ recovered: true, replay: 2, offset: 4 });
    await p.publish('re', 5, 're5');
    await s.next('msg', (m) => m.offset === 5);
    expect(s.msgs('re').map((m) => m.offset)).toEqual([1, 2, 3, 4, 3, 4, 5]);
  });
});
