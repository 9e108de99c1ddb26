// Reads paused for MAX_QUEUED_OPS (security hardening) also left the peer's pongs unread,
// so the heartbeat cut a healthy client after two intervals while its requests were
// still being served. Progress on its queued requests now counts as a sign of life; a
// session making none still times out.
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/index';
import type { Broker } from '../src/broker/types';
import { MAX_QUEUED_OPS } from '../src/session/session';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const { start, connect } = useServer();

/** A broker whose publishes wait until the test lets a number of them through. */
function heldPublishes(inner: Broker) {
  const waiting: Array<() => void> = [];
  const broker: Broker = {
    ...inner,
    async publish(channel, data, id) {
      await new Promise<void>((go) => waiting.push(go));
      return inner.publish(channel, data, id);
    },
  };
  return {
    broker,
    waiting: () => waiting.length,
    let: (n: number) => {
      for (const go of waiting.splice(0, n)) go();
    },
  };
}

const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setImmediate(r));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('a connection whose reads the server paused (MAX_QUEUED_OPS)', () => {
  it.each([
    ['requests keep completing: kept, though its pongs sit unread for more than two intervals', 10, undefined],
    ['no request completes: terminated after two intervals, as a silent peer', 0, 1006],
  ])('%s', async (_name, letThrough, closeCode) => {
    const clock = new FakeClock();
    const held = heldPublishes(memoryBroker());
    await start({ clock, broker: held.broker, heartbeatMs: 1000, publishPerSec: 1e6, publishBurst: 1e6 });
    const c = await connect();
    // One publish per channel: all run at once, all wait on the broker, none completes.
    const n = MAX_QUEUED_OPS * 12; // more than ws reads in one chunk, so the pause shows
    for (let i = 0; i < n; i++) c.send({ type: 'pub', ref: i + 1, channel: `ch${i}`, data: i, id: `p${i}` });
    try {
      // ws handles the rest of the chunk it was reading when it paused, so a few more may wait.
      await until(() => held.waiting() >= MAX_QUEUED_OPS, 'the server to stop reading at MAX_QUEUED_OPS');
      const read = held.waiting();
      expect(read).toBeLessThan(n);
      clock.advance(1500);
      held.let(letThrough);
      await until(() => c.frames.filter((f) => f.type === 'ack').length === letThrough, 'the acks let through');
      // Still paused (more than MAX_QUEUED_OPS / 2 wait); two intervals since the last pong read.
      expect(held.waiting()).toBe(read - letThrough);
      clock.advance(1000);
      if (closeCode === undefined) {
        expect(c.closed).toBeUndefined();
        // Reads resume below MAX_QUEUED_OPS / 2: the rest arrive and are let through too.
        await until(() => {
          held.let(n);
          return c.frames.filter((f) => f.type === 'ack').length === n;
        }, 'every publish acked');
        expect(c.closed).toBeUndefined();
      } else {
        expect((await c.waitClosed(5000)).code).toBe(closeCode);
      }
    } finally {
      held.let(n);
    }
  });
});
