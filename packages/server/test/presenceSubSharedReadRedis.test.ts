// `sub`s to a channel with presence on the Redis broker: each `subscribed` carries the whole
// member list, which every `sub` read from Redis (up to ~4 MB at maxPresenceMembers). Subs
// arriving while a list read of the channel is in flight now share it (RedisPresence.list),
// but never one that misses a change the node knew of when the sub asked. That reads are
// shared is proven with Redis's replies held back (redisPresenceSharedList.test.ts); here,
// end to end, that the replies of concurrent subs stay right. (Counting reads with MONITOR
// broke on a Redis shared with other test files: ioredis lost its command queue.)
import { describe, expect, it } from 'vitest';
import { TestClient, type Frame } from './helpers/wsClient';
import { useRedisServer } from './helpers/redisServer';

const { available, start, openBroker, track } = await useRedisServer();

let n = 0;
const chan = (name: string) => `${name}.${++n}`;
const members = (reply: Frame) => (reply.presence as { clientId: string }[]).map((m) => m.clientId).sort();

describe.skipIf(!available)('sub on the Redis broker: presence list reads shared while in flight', () => {
  it('N concurrent subs each get every member in their reply', async () => {
    const server = await start({ broker: openBroker({ onError: () => undefined }), presenceGraceMs: 0 });
    const ch = chan('crowd');
    const member = track(await TestClient.connect(server.url, { clientId: 'member' }));
    expect(await member.request({ type: 'presence.enter', channel: ch, info: { pad: 'x'.repeat(4000) } })).toMatchObject({ type: 'presence.ok' });
    const first = track(await TestClient.connect(server.url, { clientId: 'first' }));
    await first.request({ type: 'sub', channel: ch }); // the node watches the channel from here

    const N = 40;
    const subs = await Promise.all(Array.from({ length: N }, (_, i) => TestClient.connect(server.url, { clientId: `s${i}` }).then(track)));
    const replies = await Promise.all(subs.map((c) => c.request({ type: 'sub', channel: ch })));
    for (const r of replies) {
      expect(r.type).toBe('subscribed');
      expect(members(r)).toEqual(['member']);
    }
  });

  it('a member entered just before a sub is in its reply: entered on this node, or on another node and heard of here', async () => {
    const broker = openBroker({ onError: () => undefined });
    const a = await start({ broker, presenceGraceMs: 0 });
    const b = await start({ broker: openBroker({ onError: () => undefined }), presenceGraceMs: 0 });
    const ch = chan('fresh');
    const watcher = track(await TestClient.connect(a.url, { clientId: 'watcher' }));
    await watcher.request({ type: 'sub', channel: ch });
    const subs = await Promise.all(Array.from({ length: 12 }, (_, i) => TestClient.connect(a.url, { clientId: `s${i}` }).then(track)));
    const expected: string[] = [];
    const enterers = new Map<string, TestClient>();
    for (let round = 0; round < 6; round++) {
      // Keep list reads of the channel in flight on node a while members come and go.
      const busy = subs.slice(0, 6).map((c) => c.request({ type: 'sub', channel: ch }));
      const onA = round % 2 === 0;
      const id = `m${round}`;
      const enterer = track(await TestClient.connect((onA ? a : b).url, { clientId: id }));
      enterers.set(id, enterer);
      const from = watcher.frames.length;
      expect(await enterer.request({ type: 'presence.enter', channel: ch })).toMatchObject({ type: 'presence.ok' });
      // Another node's enter is known here once its event arrived (the watcher is told then).
      if (!onA) await watcher.next('presence', (f) => f.event === 'join' && (f.member as { clientId: string }).clientId === id, from);
      expected.push(id);
      const replies = await Promise.all(subs.slice(6).map((c) => c.request({ type: 'sub', channel: ch })));
      for (const r of replies) expect(members(r)).toEqual([...expected].sort());
      await Promise.all(busy);
      // And a leave of this node's is gone from the next replies.
      if (round === 3) {
        const left = expected.shift()!; // m0, entered on node a
        expect(await enterers.get(left)!.request({ type: 'presence.leave', channel: ch })).toMatchObject({ type: 'presence.ok' });
        const after = await Promise.all(subs.slice(6).map((c) => c.request({ type: 'sub', channel: ch })));
        for (const r of after) expect(members(r)).toEqual([...expected].sort());
      }
    }
  });
});
