// Redis failing back to an OLDER epoch: a channel lost writes in epoch A and was rotated to
// B, then a replica or a restore brings back A itself, with a counter below offsets of A
// that were already acked or delivered. A node remembers the highest offset it saw in each
// of a channel's last 8 epochs (redisHighWater.ts), so its own next publish or read in A
// notices; a live feed remembers the same for notifications (redisLiveFeed.ts `notified`,
// unit-tested in liveFeedEpochs.test.ts, since the catch-up read now notices first here).
// Simulated with DUMP/RESTORE of the channel's keys under this file's own prefix
// (helpers/lostWrites.ts).
import { describe, expect, it } from 'vitest';
import { channelKeys } from '../src/broker/redisKeys';
import type { Frame, TestClient } from './helpers/wsClient';
import { lostWrites, lostWritesHarness, type Node } from './helpers/lostWrites';
import { redisSuite, waitFor } from './redisTestUtils';

const redis = await redisSuite();
const { available } = redis;
const { prefix, startNode, connect, raw, chan, snapshot, restore } = lostWritesHarness(redis);

/**
 * Through node `a` (client `p`): A:1..10, then A back at 7 (node a rotates it to B at a read),
 * B:1..3, then A back at 7 again. Node a acked A:8..10 and B:1..3; no feed is subscribed.
 */
async function failBackThroughOneNode(a: Node, p: TestClient, ch: string): Promise<{ epochA: string; epochB: string }> {
  let epochA = '';
  for (let i = 1; i <= 7; i++) epochA = (await p.publish(ch, `old-${i}`, `old-${i}`)).epoch as string;
  const aAt7 = await snapshot(ch);
  for (let i = 8; i <= 10; i++) expect(await p.publish(ch, `old-${i}`, `old-${i}`)).toMatchObject({ epoch: epochA, offset: i });
  await restore(ch, aAt7);
  const epochB = (await a.broker.read(ch, 0, 100)).epoch;
  expect(epochB).not.toBe(epochA);
  for (let i = 1; i <= 3; i++) expect(await p.publish(ch, `mid-${i}`, `mid-${i}`)).toMatchObject({ epoch: epochB, offset: i });
  await restore(ch, aAt7);
  const r = await raw();
  expect([await r.get(channelKeys(prefix, ch).epoch), await r.get(channelKeys(prefix, ch).seq)]).toEqual([epochA, '7']);
  expect(lostWrites(a.errors)).toHaveLength(1); // the first loss
  return { epochA, epochB };
}

describe.skipIf(!available)('Redis failing back to an older epoch', () => {
  it('a node that acked A:10 then B:1..3 rotates at its next publish after the failback: the ack names a new epoch, never A:8 again (no subscriber needed)', async () => {
    const a = await startNode();
    const ch = chan('publisher');
    const p = await connect(a, 'p');
    const { epochA, epochB } = await failBackThroughOneNode(a, p, ch);

    const ack = await p.publish(ch, 'new-1', 'new-1');
    expect(ack.type).toBe('ack');
    expect([epochA, epochB]).not.toContain(ack.epoch);
    expect(ack.offset).toBe(1);
    // The A:8 copy of new-1 went with the rotation; the log holds new-1 once, in the new epoch.
    const log = await a.broker.read(ch, 0, 100);
    expect([log.epoch, log.messages.map((m) => [m.offset, m.data])]).toEqual([ack.epoch, [[1, 'new-1']]]);
    expect(lostWrites(a.errors)).toHaveLength(2);
    expect(lostWrites(a.errors)[1]!.message).toContain(`epoch ${epochA} replaced`);
  });

  it('a node that acked A:10 then B:1..3 rotates at its next read after the failback (head 7 below 10 in A)', async () => {
    const a = await startNode();
    const ch = chan('reader');
    const p = await connect(a, 'p');
    const { epochA, epochB } = await failBackThroughOneNode(a, p, ch);

    const back = await connect(a, 'back');
    const sub = await back.subscribe(ch, { offset: 3, epoch: epochB });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0 });
    expect([epochA, epochB]).not.toContain(sub.epoch);
    expect(lostWrites(a.errors)).toHaveLength(2);
    expect(await p.publish(ch, 'new-1', 'new-1')).toMatchObject({ type: 'ack', epoch: sub.epoch, offset: 1 });
  });

  it('a live subscriber that got A:1..10 then B:1..3 rotates on a notification of A:8: later messages come in a new epoch, never as A:8 again', async () => {
    const a = await startNode();
    const b = await startNode();
    const ch = chan('failback');
    const s = await connect(b, 's');
    const sub = await s.subscribe(ch);
    const p = await connect(a, 'p');

    // Epoch A, offsets 1..10, all delivered live to the subscriber on B.
    for (let i = 1; i <= 7; i++) expect(await p.publish(ch, `old-${i}`, `old-${i}`)).toMatchObject({ epoch: sub.epoch, offset: i });
    const epochA = sub.epoch as string;
    const aAt7 = await snapshot(ch);
    for (let i = 8; i <= 10; i++) await p.publish(ch, `old-${i}`, `old-${i}`);
    await waitFor(() => s.msgs(ch).length === 10, 'subscriber has A:1..10');

    // First loss: A comes back at 7. Node a (which acked A:10) notices at a read and rotates
    // to B. No publish lands in A meanwhile, so B's feed still holds A:10 as notified.
    await restore(ch, aAt7);
    const rotated = await a.broker.read(ch, 0, 100);
    const epochB = rotated.epoch;
    expect(epochB).not.toBe(epochA);
    expect(rotated.head).toBe(0);
    for (let i = 1; i <= 3; i++) expect(await p.publish(ch, `mid-${i}`, `mid-${i}`)).toMatchObject({ epoch: epochB, offset: i });
    await waitFor(() => s.msgs(ch).length === 13, 'subscriber has B:1..3');

    // Failback: A as it was at offset 7 replaces B. A node that never saw the channel is
    // acked A:8, an offset that already named old-8 (documented: it cannot tell).
    await restore(ch, aAt7);
    const c = await startNode();
    const pc = await connect(c, 'pc');
    expect(await pc.publish(ch, 'new-1', 'new-1')).toMatchObject({ type: 'ack', epoch: epochA, offset: 8 });

    // B's feed was notified A:10 before B: A:8 is a step back in A, so it rotates A away.
    const r = await raw();
    await waitFor(async () => ![epochA, epochB].includes((await r.get(channelKeys(prefix, ch).epoch)) ?? ''), 'B rotates epoch A away');
    await waitFor(() => lostWrites(b.errors).length === 1, 'B reports the loss');
    const acks = [];
    for (let i = 2; i <= 4; i++) acks.push(await pc.publish(ch, `new-${i}`, `new-${i}`));
    const epochC = acks[0]!.epoch as string;
    expect([epochA, epochB]).not.toContain(epochC);
    expect(acks.map((x) => [x.epoch, x.offset])).toEqual([[epochC, 1], [epochC, 2], [epochC, 3]]);

    // The feed delivers in order, so anything of the failed-back A (old-1..7 again, new-1
    // as A:8) would have come before new-4.
    await waitFor(() => s.msgs(ch).some((m) => m.data === 'new-4'), 'subscriber gets new-4');
    const name = (e: unknown) => (e === epochA ? 'A' : e === epochB ? 'B' : e === epochC ? 'C' : String(e));
    expect(s.msgs(ch).map((m: Frame) => [name(m.epoch), m.offset, m.data])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ['A', i + 1, `old-${i + 1}`]),
      ['B', 1, 'mid-1'], ['B', 2, 'mid-2'], ['B', 3, 'mid-3'],
      ['C', 1, 'new-2'], ['C', 2, 'new-3'], ['C', 3, 'new-4'],
    ]);
    expect(lostWrites(a.errors)).toHaveLength(1); // the first loss only
    expect(lostWrites(b.errors)).toHaveLength(1);
    expect(lostWrites(c.errors)).toEqual([]);
  });
});
