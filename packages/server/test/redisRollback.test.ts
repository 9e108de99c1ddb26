// Redis losing its last acknowledged writes (AOF `appendfsync everysec` crash, RDB restore,
// failover to a lagging replica): a channel's keys come back consistently as of an older
// offset, with the same epoch. Simulated with DUMP/RESTORE of one channel's keys under this
// run's prefix (never FLUSHALL, never a restart of the shared Redis). Offsets once handed
// out must not be handed out again in the same epoch once a node notices.
import { describe, expect, it } from 'vitest';
import { channelKeys } from '../src/broker/redisKeys';
import type { TestClient, Frame } from './helpers/wsClient';
import { lostWrites, lostWritesHarness } from './helpers/lostWrites';
import { redisSuite, startRedisProxy, waitFor } from './redisTestUtils';

const redis = await redisSuite();
const { available } = redis;
const { prefix, cleanups, startNode, connect, raw, chan, snapshot, restore } = lostWritesHarness(redis);

/** Publishes old-1..10 through `p`, then puts the channel's keys back as they were after old-7. */
async function publishThenRollBack(ch: string, p: TestClient, beforeLoss: () => Promise<void> = async () => undefined): Promise<string> {
  let epoch = '';
  for (let i = 1; i <= 7; i++) epoch = (await p.publish(ch, `old-${i}`, `old-${i}`)).epoch as string;
  const at7 = await snapshot(ch);
  for (let i = 8; i <= 10; i++) await p.publish(ch, `old-${i}`, `old-${i}`);
  await beforeLoss();
  await restore(ch, at7);
  const r = await raw();
  expect(await r.get(channelKeys(prefix, ch).seq)).toBe('7');
  return epoch;
}

describe.skipIf(!available)('Redis lost acknowledged writes', () => {
  it('a node that acked offsets up to 10 rotates the epoch at its next publish: the ack names the new epoch, never E:8 again', async () => {
    const a = await startNode();
    const ch = chan('publisher');
    const p = await connect(a, 'p');
    const old = await publishThenRollBack(ch, p);
    const acks = [];
    for (let i = 1; i <= 3; i++) acks.push(await p.publish(ch, `new-${i}`, `new-${i}`));
    expect(acks.map((x) => x.type)).toEqual(['ack', 'ack', 'ack']);
    const fresh = acks[0]!.epoch as string;
    expect(fresh).not.toBe(old);
    expect(acks.map((x) => [x.epoch, x.offset])).toEqual([[fresh, 1], [fresh, 2], [fresh, 3]]);
    // The log holds exactly the new messages, once each (the E:8 copy of new-1 went with the rotation).
    const log = await a.broker.read(ch, 0, 100);
    expect(log.messages.map((m) => [m.offset, m.data])).toEqual([[1, 'new-1'], [2, 'new-2'], [3, 'new-3']]);
    expect(lostWrites(a.errors)).toHaveLength(1);
    // A client that had E:10 is told of the gap.
    const back = await connect(a, 'back');
    expect(await back.subscribe(ch, { offset: 10, epoch: old })).toMatchObject({ recovered: false, reason: 'epoch-changed', epoch: fresh, offset: 3 });
  });

  it('a live subscriber on B whose feed was notified up to 10 rotates on a notification of E:8: it gets the later messages in a new epoch, not new ones as old offsets', async () => {
    const a = await startNode();
    const b = await startNode();
    const ch = chan('live');
    const s = await connect(b, 's');
    const sub = await s.subscribe(ch);
    const p = await connect(a, 'p');
    const old = await publishThenRollBack(ch, p, () => waitFor(() => s.msgs(ch).length === 10, 'subscriber has 1..10'));
    // A publisher on a node that never saw the channel cannot tell: it is acked E:8.
    const c = await startNode();
    const pc = await connect(c, 'pc');
    expect(await pc.publish(ch, 'new-1', 'new-1')).toMatchObject({ type: 'ack', epoch: old, offset: 8 });
    const r = await raw();
    await waitFor(async () => (await r.get(channelKeys(prefix, ch).epoch)) !== old, 'B rotates the epoch');
    await waitFor(() => lostWrites(b.errors).length === 1, 'B reports the loss');
    const acks = [];
    for (let i = 2; i <= 4; i++) acks.push(await pc.publish(ch, `new-${i}`, `new-${i}`));
    const fresh = acks[0]!.epoch as string;
    expect(acks.map((x) => [x.epoch, x.offset])).toEqual([[fresh, 1], [fresh, 2], [fresh, 3]]);
    await waitFor(() => s.msgs(ch).some((m) => m.data === 'new-4'), 'subscriber gets new-4');
    await new Promise((res) => setTimeout(res, 50));
    const got = s.msgs(ch).map((m: Frame) => [m.epoch === sub.epoch ? 'E' : m.epoch === fresh ? 'NEW' : m.epoch, m.offset, m.data]);
    expect(got).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ['E', i + 1, `old-${i + 1}`]),
      ['NEW', 1, 'new-2'], ['NEW', 2, 'new-3'], ['NEW', 3, 'new-4'],
    ]);
    expect(lostWrites(b.errors)).toHaveLength(1);
  });

  it('a node cut from Redis during the loss notices at its catch-up (head 7 below the 10 it delivered) and rotates', async () => {
    const proxy = await startRedisProxy();
    cleanups.push(() => proxy.close());
    const a = await startNode();
    const b = await startNode({ url: proxy.url, reconnectDelayMs: () => 20 });
    const ch = chan('reconnect');
    const s = await connect(b, 's');
    await s.subscribe(ch);
    const p = await connect(a, 'p');
    const old = await publishThenRollBack(ch, p, async () => {
      await waitFor(() => s.msgs(ch).length === 10, 'subscriber has 1..10');
      await proxy.down();
    });
    await proxy.up();
    const r = await raw();
    // (B reports once it has the script's answer, which may be after Redis shows the new epoch.)
    await waitFor(() => lostWrites(b.errors).length === 1, 'B reports the loss after reconnecting');
    expect(await r.get(channelKeys(prefix, ch).epoch)).not.toBe(old);
    const c = await startNode();
    const ack = await (await connect(c, 'pc')).publish(ch, 'new-1', 'new-1');
    expect(ack).toMatchObject({ type: 'ack', offset: 1 });
    expect(ack.epoch).not.toBe(old);
    await waitFor(() => s.msgs(ch).some((m) => m.data === 'new-1'), 'subscriber gets new-1');
    expect(s.msgs(ch).slice(10).map((m) => [m.epoch, m.offset])).toEqual([[ack.epoch, 1]]);
  });

  it('with no node that saw the lost offsets, a client resuming from E:10 above the head 7 is told of a gap; nothing rotates', async () => {
    const a = await startNode();
    const ch = chan('unseen');
    const p = await connect(a, 'p');
    const old = await publishThenRollBack(ch, p);
    const fresh = await startNode(); // no marks for this channel
    const c = await connect(fresh, 'back');
    expect(await c.subscribe(ch, { offset: 10, epoch: old })).toMatchObject({ recovered: false, reason: 'out-of-retention', epoch: old, offset: 7 });
    // Client input never rotates an epoch (any client could force a gap on everyone).
    const r = await raw();
    expect(await r.get(channelKeys(prefix, ch).epoch)).toBe(old);
    expect(lostWrites(fresh.errors)).toEqual([]);
  });
});
