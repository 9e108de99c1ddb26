// Redis failing back to an OLDER epoch: a channel lost writes in epoch A and was rotated to
// B, then a replica or a restore brings back A itself, with a counter below offsets of A
// that were already delivered. A node's high-water mark holds one epoch (B by then), so
// what notices is a live feed, which remembers the highest offset notified in each of
// several epochs (redisLiveFeed.ts `notified`). Simulated with DUMP/RESTORE of the
// channel's keys under this file's own prefix (helpers/lostWrites.ts).
import { describe, expect, it } from 'vitest';
import { channelKeys } from '../src/broker/redisKeys';
import type { Frame } from './helpers/wsClient';
import { lostWrites, lostWritesHarness } from './helpers/lostWrites';
import { redisAvailable, waitFor } from './redisTestUtils';

const available = await redisAvailable();
const { prefix, startNode, connect, raw, chan, snapshot, restore } = lostWritesHarness(available);

describe.skipIf(!available)('Redis failing back to an older epoch', () => {
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
