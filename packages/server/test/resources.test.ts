import { describe, expect, it } from 'vitest';
import { memoryBroker, type Broker } from '../src/index';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();

/** Counts live broker listeners, to prove the server lets go of channels nobody reads. */
function countingBroker(): { broker: Broker; live: () => number; attaches: () => number } {
  const inner = memoryBroker();
  let live = 0;
  let attaches = 0;
  const wrap = async (attach: Promise<() => Promise<void>>) => {
    const detach = await attach;
    live++;
    attaches++;
    return async () => {
      live--;
      await detach();
    };
  };
  return {
    broker: {
      ...inner,
      onMessage: (ch, l) => wrap(inner.onMessage(ch, l)),
      onPresence: (ch, l) => wrap(inner.onPresence(ch, l)),
    },
    live: () => live,
    attaches: () => attaches,
  };
}

describe('resources', () => {
  it('attaches to a channel once for all local subscribers and detaches when the last one leaves or drops', async () => {
    const counting = countingBroker();
    const server = await start({ broker: counting.broker });
    const subs = await Promise.all([1, 2, 3].map(() => connect()));
    for (const c of subs) await c.subscribe('shared');
    expect(counting.live()).toBe(2); // one message + one presence listener, however many subscribers
    expect(counting.attaches()).toBe(2);
    await subs[0]!.request({ type: 'unsub', channel: 'shared' });
    subs[1]!.ws.terminate();
    await waitFor(() => server.stats().connections === 2, 'the server to see the drop');
    subs[2]!.send({ type: 'ping', t: 1 }); // a round trip lets the drop's cleanup settle
    await subs[2]!.next('pong');
    expect(counting.live()).toBe(2); // subs[2] still reads the channel
    subs[2]!.ws.terminate();
    await waitFor(() => counting.live() === 0, 'the listeners to be detached');
  });

  it('closes a consumer that stops reading with 1013 once maxBufferedBytes is queued; others are unaffected', async () => {
    await start({ maxBufferedBytes: 1024 * 1024, publishPerSec: 1e6, publishBurst: 1e6 });
    const slow = await connect();
    const fine = await connect();
    const pub = await connect();
    await slow.subscribe('firehose');
    await fine.subscribe('firehose');
    const raw = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const payload = 'x'.repeat(4096);
    const total = 4000; // ≈ 16 MB: more than loopback socket buffers plus the limit
    // Paced so the reading consumer, which shares this process's event loop, keeps up.
    for (let i = 1; i <= total; i++) {
      pub.send({ type: 'pub', ref: i, channel: 'firehose', data: payload, id: `f${i}` });
      if (i % 50 === 0) await fine.next('msg', (m) => m.offset === i, 0, 20_000);
    }
    await fine.next('msg', (m) => m.offset === total, 0, 30_000).catch((err: Error) => {
      const st = { fine: fine.msgs('firehose').length, fineClosed: fine.closed, slow: slow.msgs('firehose').length, slowClosed: slow.closed };
      throw new Error(`${err.message}: ${JSON.stringify(st)}`);
    });
    raw.resume();
    const closed = await slow.waitClosed(30_000);
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/slow consumer; retry-after-ms=\d+/);
    expect(slow.msgs('firehose').length).toBeLessThan(total);
    expect(fine.closed).toBeUndefined();
  }, 60_000);
});
