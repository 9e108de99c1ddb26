import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError, memoryBroker, type Broker } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const { start, connect, open } = useServer();
/** Proves the server still serves: a fresh client subscribes, publishes and receives. */
async function stillServing(): Promise<void> {
  const c = await connect();
  await c.subscribe('health');
  const ack = await c.publish('health', 'ok', `h-${Math.random()}`);
  await c.next('msg', (m) => m.offset === ack.offset);
}

describe('bad input gets a typed answer and loses nothing', () => {
  it('malformed frames each get their error code; the connection is kept', async () => {
    await start();
    const c = await connect();
    const cases: [unknown, string, Record<string, unknown>?][] = [
      ['{not json', 'BAD_FRAME'],
      ['[1,2,3]', 'BAD_FRAME'],
      ['"just a string"', 'BAD_FRAME'],
      [{ no: 'type' }, 'BAD_FRAME'],
      [{ type: 'teleport', ref: 9 }, 'UNKNOWN_TYPE', { ref: 9 }],
      [{ type: 'sub', ref: 1 }, 'BAD_FIELD', { ref: 1 }],
      [{ type: 'sub', ref: 2, channel: 'has space' }, 'BAD_FIELD', { ref: 2 }],
      [{ type: 'sub', ref: 3, channel: 'x'.repeat(201) }, 'BAD_FIELD', { ref: 3 }],
      [{ type: 'sub', ref: 4, channel: 'ok', since: { offset: -1, epoch: 'e' } }, 'BAD_FIELD', { ref: 4, channel: 'ok' }],
      [{ type: 'sub', ref: 5, channel: 'ok', since: 'yesterday' }, 'BAD_FIELD', { ref: 5 }],
      [{ type: 'pub', ref: 6, channel: 'ok', data: 1 }, 'BAD_FIELD', { ref: 6 }],
      [{ type: 'pub', ref: 7, channel: 'ok', id: 'i' }, 'BAD_FIELD', { ref: 7 }],
      [{ type: 'pub', ref: 8, channel: 'ok', data: 1, id: 'x'.repeat(129) }, 'BAD_FIELD', { ref: 8 }],
      [{ type: 'unsub', ref: 'one', channel: 'ok' }, 'BAD_FIELD'],
      [{ type: 'ping', t: 'now' }, 'BAD_FIELD'],
    ];
    for (const [frame, code, extra] of cases) {
      const from = c.frames.length;
      c.send(frame);
      const err = await c.next('error', () => true, from);
      expect(err, JSON.stringify(frame)).toMatchObject({ code, message: expect.any(String), ...(extra ?? {}) });
    }
    c.ws.send(Buffer.from([1, 2, 3]));
    expect(await c.next('error', (f) => /binary/.test(f.message))).toMatchObject({ code: 'BAD_FRAME' });
    expect(await c.subscribe('ok')).toMatchObject({ type: 'subscribed' });
    expect(c.closed).toBeUndefined();
  });

  it('100 bad frames within 10 s close the connection with 4201; others keep being served', async () => {
    await start();
    const abuser = await connect();
    for (let i = 0; i < 100; i++) abuser.send('garbage');
    expect((await abuser.waitClosed()).code).toBe(4201);
    expect(abuser.frames.filter((f) => f.code === 'BAD_FRAME')).toHaveLength(100);
    await stillServing();
  });

  it('data or presence info nested too deeply to be sent on is refused with BAD_FIELD; nothing stored, the channel keeps working', async () => {
    const broker = memoryBroker();
    await start({ broker });
    const c = await connect();
    await c.subscribe('deep');
    // Small and valid JSON, but JSON.stringify overflows the stack on it.
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    let from = c.frames.length;
    c.send(`{"type":"pub","ref":1,"channel":"deep","id":"d1","data":${deep}}`);
    expect(await c.next('error', () => true, from)).toMatchObject({ code: 'BAD_FIELD', ref: 1, channel: 'deep' });
    from = c.frames.length;
    c.send(`{"type":"presence.enter","ref":2,"channel":"deep","info":${deep}}`);
    expect(await c.next('error', () => true, from)).toMatchObject({ code: 'BAD_FIELD', ref: 2, channel: 'deep' });
    expect((await broker.read('deep', 0, 10)).messages).toEqual([]);
    const later = await connect();
    expect(await later.subscribe('deep', { offset: 0, epoch: (await broker.position('deep')).epoch })).toMatchObject({ type: 'subscribed' });
    await stillServing();
  });

  it('an id or clientId that is not well-formed Unicode (a lone surrogate) is refused with BAD_FIELD', async () => {
    await start();
    const c = await connect();
    const from = c.frames.length;
    c.send('{"type":"pub","ref":1,"channel":"ok","id":"c1-\\ud800","data":1}');
    expect(await c.next('error', () => true, from)).toMatchObject({ code: 'BAD_FIELD', ref: 1 });
    const hello = await open();
    hello.send('{"type":"hello","v":1,"clientId":"\\udc00x"}');
    expect(await hello.next('error')).toMatchObject({ code: 'BAD_FIELD' });
  });

  it('frames that arrive after the server closed the connection (4201) are not acted on', async () => {
    const broker = memoryBroker();
    await start({ broker });
    const abuser = await connect();
    // The publishes leave right behind the 100th bad frame, before the close reaches the client.
    for (let i = 0; i < 100; i++) abuser.send('garbage');
    for (let i = 0; i < 5; i++) abuser.send({ type: 'pub', ref: i + 1, channel: 'late', data: i, id: `late-${i}` });
    expect((await abuser.waitClosed()).code).toBe(4201);
    expect((await broker.read('late', 0, 10)).messages).toEqual([]);
    expect(abuser.frames.filter((f) => f.type === 'ack')).toEqual([]);
  });

  it('a frame above maxFrameBytes closes with 1009; others keep being served', async () => {
    await start({ maxFrameBytes: 1024 });
    const c = await connect();
    expect((await c.publish('fits', 'x'.repeat(900), 'f1')).type).toBe('ack');
    c.send({ type: 'pub', ref: 2, channel: 'big', data: 'x'.repeat(2000), id: 'b1' });
    expect((await c.waitClosed()).code).toBe(1009);
    await stillServing();
  });

  it('subscribing beyond maxChannels answers TOO_MANY_CHANNELS and keeps the connection', async () => {
    await start({ maxChannels: 2 });
    const c = await connect();
    await c.subscribe('a');
    await c.subscribe('b');
    expect(await c.subscribe('c')).toMatchObject({ type: 'error', code: 'TOO_MANY_CHANNELS', channel: 'c' });
    expect(await c.subscribe('a')).toMatchObject({ type: 'subscribed' }); // re-subscribing is not a new channel
    await c.request({ type: 'unsub', channel: 'a' });
    expect(await c.subscribe('c')).toMatchObject({ type: 'subscribed' });
  });

  it('a publish flood gets RATE_LIMITED with retryAfterMs, then close 4201 after 1000 refusals (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 2 });
    const c = await connect();
    expect((await c.publish('f', 1, 'a')).type).toBe('ack');
    expect((await c.publish('f', 2, 'b')).type).toBe('ack');
    expect(await c.publish('f', 3, 'c')).toMatchObject({ type: 'error', code: 'RATE_LIMITED', retryAfterMs: 1000, channel: 'f' });
    clock.advance(1000);
    expect((await c.publish('f', 3, 'c')).type).toBe('ack'); // refilled
    for (let i = 0; i < 1000; i++) c.send({ type: 'pub', ref: 10_000 + i, channel: 'f', data: i, id: `flood-${i}` });
    expect((await c.waitClosed()).code).toBe(4201);
    expect(c.frames.filter((f) => f.code === 'RATE_LIMITED')).toHaveLength(1000);
    expect(c.frames.filter((f) => f.type === 'ack')).toHaveLength(3);
    await stillServing();
  });

  it('a broker failure answers BROKER_UNAVAILABLE with retryAfterMs; nothing stored; connection kept', async () => {
    const inner = memoryBroker();
    let failing = true;
    const broker: Broker = {
      ...inner,
      publish: (...a) => (failing ? Promise.reject(new BrokerUnavailableError('store down')) : inner.publish(...a)),
      read: (...a) => (failing ? Promise.reject(new BrokerUnavailableError('store down')) : inner.read(...a)),
      position: (...a) => (failing ? Promise.reject(new BrokerUnavailableError('store down')) : inner.position(...a)),
    };
    await start({ broker });
    const c = await connect();
    expect(await c.publish('b', 1, 'b1')).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE', retryAfterMs: 1000 });
    expect(await c.subscribe('b')).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE' });
    failing = false;
    expect(await c.publish('b', 1, 'b1')).toMatchObject({ type: 'ack', offset: 1 }); // safe to re-send: stored once
    expect(await c.subscribe('b')).toMatchObject({ type: 'subscribed', offset: 1 });
  });

  it('a broker error that is not an outage (a bug) answers INTERNAL without a retry hint, and blocks nothing', async () => {
    const inner = memoryBroker();
    let failing = true;
    const broker: Broker = {
      ...inner,
      publish: (...a) => (failing ? Promise.reject(new Error('ERR script bug')) : inner.publish(...a)),
    };
    const server = await start({ broker });
    const c = await connect();
    const refused = await c.publish('b', 1, 'b1');
    expect(refused).toMatchObject({ type: 'error', code: 'INTERNAL' });
    expect(refused.retryAfterMs).toBeUndefined();
    failing = false;
    expect(await c.publish('b', 2, 'b2')).toMatchObject({ type: 'ack', offset: 1 }); // another id: not held back
    const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'b', data: 3 }) }).then(async (r) => [r.status, await r.json()]);
    expect(res).toEqual([200, { offset: 2, epoch: expect.any(String) }]);
    failing = true;
    const http = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'b', data: 4 }) });
    expect(http.status).toBe(500);
    expect(await http.json()).toMatchObject({ code: 'INTERNAL' });
  });
});
