import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/serverFixture';

const { start, connect, open } = useServer();

describe('pub/sub over /v1', () => {
  it('handshake answers welcome with session, heartbeat and limits', async () => {
    await start({ heartbeatMs: 12_345 });
    const c = await open();
    c.send({ type: 'hello', v: 1, clientId: 'me', agent: 'test' });
    const w = await c.next('welcome');
    expect(w).toMatchObject({
      v: 1,
      heartbeatMs: 12_345,
      limits: { maxFrameBytes: 65_536, maxChannels: 100, publishPerSec: 100, publishBurst: 200 },
    });
    expect(w.session).toMatch(/^s_/);
    expect(typeof w.serverTime).toBe('number');
  });

  it('publish is acked with its offset and fanned out to every subscriber, including the publisher', async () => {
    await start();
    const a = await connect();
    const b = await connect();
    const subA = await a.subscribe('room:1');
    await b.subscribe('room:1');
    expect(subA).toMatchObject({ type: 'subscribed', channel: 'room:1', offset: 0, presence: [] });
    expect(subA.recovered).toBeUndefined();
    const ack = await a.publish('room:1', { text: 'hi' }, 'a-1');
    expect(ack).toMatchObject({ type: 'ack', channel: 'room:1', id: 'a-1', offset: 1, epoch: subA.epoch });
    expect(ack.duplicate).toBeUndefined();
    for (const c of [a, b]) {
      const m = await c.next('msg');
      expect(m).toMatchObject({ channel: 'room:1', offset: 1, epoch: subA.epoch, data: { text: 'hi' }, id: 'a-1' });
      expect(typeof m.ts).toBe('number');
    }
  });

  it('a re-sent publish with the same id is acked with the original offset, duplicate: true, and stored once', async () => {
    await start();
    const a = await connect();
    const watcher = await connect();
    await watcher.subscribe('orders');
    const first = await a.publish('orders', { n: 1 }, 'order-1');
    await a.publish('orders', { n: 2 }, 'order-2');
    const again = await a.publish('orders', { n: 1 }, 'order-1');
    expect(again).toMatchObject({ type: 'ack', offset: first.offset, epoch: first.epoch, duplicate: true });
    await watcher.next('msg', (m) => m.offset === 2);
    // the log holds two messages: a fresh subscriber replaying from 0 sees exactly two
    const late = await connect();
    const sub = await late.subscribe('orders', { offset: 0, epoch: first.epoch });
    expect(sub).toMatchObject({ recovered: true, replay: 2, offset: 2 });
    await late.next('msg', (m) => m.offset === 2);
    expect(late.msgs('orders').map((m) => m.id)).toEqual(['order-1', 'order-2']);
    expect(watcher.msgs('orders')).toHaveLength(2);
  });

  it('unsubscribe stops delivery and is answered even when not subscribed', async () => {
    await start();
    const a = await connect();
    await a.subscribe('x');
    expect(await a.request({ type: 'unsub', channel: 'x' })).toMatchObject({ type: 'unsubscribed', channel: 'x' });
    expect(await a.request({ type: 'unsub', channel: 'never' })).toMatchObject({ type: 'unsubscribed', channel: 'never' });
    const ack = await a.publish('x', 1, 'p1');
    expect(ack.type).toBe('ack');
    // a second, subscribed client proves the message went out while `a` received nothing
    const b = await connect();
    await b.subscribe('x', { offset: 0, epoch: ack.epoch });
    await b.next('msg');
    expect(a.msgs('x')).toHaveLength(0);
  });

  it('subscribing twice is idempotent: the second reply comes and live messages are not duplicated', async () => {
    await start();
    const a = await connect();
    await a.subscribe('dup');
    const again = await a.subscribe('dup');
    expect(again).toMatchObject({ type: 'subscribed', channel: 'dup', offset: 0 });
    await a.publish('dup', 1, 'd1');
    await a.publish('dup', 2, 'd2');
    await a.next('msg', (m) => m.offset === 2);
    const ack3 = await a.publish('dup', 3, 'd3');
    await a.next('msg', (m) => m.offset === ack3.offset);
    expect(a.msgs('dup').map((m) => m.offset)).toEqual([1, 2, 3]);
  });

  it('answers ping with pong echoing t', async () => {
    await start();
    const a = await connect();
    a.send({ type: 'ping', t: 42 });
    expect(await a.next('pong')).toEqual({ type: 'pong', t: 42 });
  });

  it('counts frames in and out by type in stats()', async () => {
    const server = await start();
    const a = await connect();
    await a.subscribe('s');
    await a.publish('s', 1, 'i');
    await a.next('msg');
    const st = server.stats();
    expect(st.connections).toBe(1);
    expect(st.handshakesAccepted).toBe(1);
    expect(st.framesIn).toMatchObject({ hello: 1, sub: 1, pub: 1 });
    expect(st.framesOut).toMatchObject({ welcome: 1, subscribed: 1, ack: 1, msg: 1 });
  });
});
