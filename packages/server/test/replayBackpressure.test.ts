// A replay is written at the pace the client reads it: a backlog larger than
// maxBufferedBytes must not get a reading client closed as a "slow consumer".
import { describe, expect, it } from 'vitest';
import { memoryBroker, type Broker } from '../src/index';
import { expectContiguous, publishMany } from './helpers/seam';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();

describe('replay backpressure', () => {
  it('a client that reads normally gets a replay of 8 × maxBufferedBytes in full, then live, without a 1013', async () => {
    // 256 KiB limit; 300 retained messages of 8 KB = 2.4 MB to replay.
    await start({ maxBufferedBytes: 256 * 1024, publishPerSec: 1e6, publishBurst: 1e6 });
    const p = await connect();
    const payload = 'x'.repeat(8000);
    const first = await p.publish('backlog', payload, 'b-0');
    for (let i = 1; i < 300; i++) p.send({ type: 'pub', ref: 10_000 + i, channel: 'backlog', data: payload, id: `b-${i}` });
    await p.next('ack', (f) => f.ref === 10_299, 0, 15_000);

    const s = await connect();
    const reply = await s.subscribe('backlog', { offset: 0, epoch: first.epoch });
    expect(reply).toMatchObject({ recovered: true, replay: 300, offset: 300 });
    // live traffic while the replay is still being written
    const live = publishMany(p, 'backlog', 300, 20);
    await s.next('msg', (m) => m.offset === 320, 0, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}: got ${s.msgs('backlog').length}, closed ${JSON.stringify(s.closed)}`);
    });
    await live;
    expect(s.closed).toBeUndefined();
    expectContiguous(s, 'backlog', 0, 320);
  }, 30_000);

  it('live traffic held for a subscriber while its replay is read counts against maxBufferedBytes (1013 past it)', async () => {
    // The log read is held until the test lets it go: live messages pile up for the subscriber meanwhile.
    const inner = memoryBroker();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let gated = false;
    const broker: Broker = {
      ...inner,
      async read(channel, after, limit) {
        if (gated) await gate;
        return inner.read(channel, after, limit);
      },
    };
    const server = await start({ broker, maxBufferedBytes: 128 * 1024, publishPerSec: 1e6, publishBurst: 1e6 });
    const p = await connect();
    const first = await p.publish('held', 'x', 'h-0');
    const s = await connect();
    const ok = await connect(); // a subscriber already live is not affected
    await ok.subscribe('held');
    gated = true;
    s.send({ type: 'sub', ref: 1, channel: 'held', since: { offset: 0, epoch: first.epoch } });
    await waitFor(() => server.stats().framesIn.sub === 2, 'the second subscribe to reach the server');
    const payload = 'z'.repeat(8000);
    for (let i = 1; i <= 40; i++) p.send({ type: 'pub', ref: 100 + i, channel: 'held', data: payload, id: `h-${i}` }); // 320 KB > 128 KiB, all held for `s`
    await ok.next('msg', (m) => m.offset === 41);
    const closed = await s.waitClosed().finally(release);
    expect(closed).toEqual({ code: 1013, reason: 'slow consumer; retry-after-ms=1000' });
    expect(ok.closed).toBeUndefined();
    await waitFor(() => server.stats().connections === 2, 'the server to let the slow consumer go');
  });

  it('a client that drops mid-replay releases its subscription and the server closes promptly', async () => {
    const inner = memoryBroker();
    let live = 0;
    const broker: Broker = {
      ...inner,
      async onMessage(channel, listener) {
        const detach = await inner.onMessage(channel, listener);
        live++;
        return async () => {
          live--;
          await detach();
        };
      },
    };
    const server = await start({ broker, maxBufferedBytes: 64 * 1024, publishPerSec: 1e6, publishBurst: 1e6 });
    const p = await connect();
    const payload = 'w'.repeat(8000);
    const first = await p.publish('gone', payload, 'g-0');
    for (let i = 1; i < 300; i++) p.send({ type: 'pub', ref: 10_000 + i, channel: 'gone', data: payload, id: `g-${i}` });
    await p.next('ack', (f) => f.ref === 10_299, 0, 15_000);
    const s = await connect();
    s.ws.on('message', (d) => {
      if (String(d).startsWith('{"type":"subscribed"')) s.ws.terminate(); // gone while the replay is being written
    });
    s.send({ type: 'sub', ref: 1, channel: 'gone', since: { offset: 0, epoch: first.epoch } });
    await waitFor(() => server.stats().connections === 1, 'the server to see the drop');
    await waitFor(() => live === 0, 'the channel listener to be released');
    expect(s.msgs('gone').length).toBeLessThan(300);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
