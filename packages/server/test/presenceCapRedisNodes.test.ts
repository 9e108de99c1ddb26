// maxPresenceMembers across nodes on the Redis broker: the bound is checked by the script
// that writes the member (PRESENCE_SET_LUA's maxMembers), not by a count call before the
// write, which let new members entering at once on several nodes each see room for one
// more and pass the bound together.
import { describe, expect, it } from 'vitest';
import { channelKeys } from '../src/broker/redisKeys';
import { TestClient } from './helpers/wsClient';
import { useRedisServer } from './helpers/redisServer';

const { available, prefix, start, openBroker, openRedis, track } = await useRedisServer();

const CAP = 5;
let n = 0;
const chan = (name: string) => `${name}.${++n}`;

describe.skipIf(!available)('maxPresenceMembers across Redis nodes', () => {
  it('many new members entering at once on two nodes never pass the bound: exactly maxPresenceMembers stored, the rest PRESENCE_FULL', async () => {
    const nodes = [
      await start({ broker: openBroker({ onError: () => undefined }), maxPresenceMembers: CAP, presenceGraceMs: 0 }),
      await start({ broker: openBroker({ onError: () => undefined }), maxPresenceMembers: CAP, presenceGraceMs: 0 }),
    ];
    const redis = openRedis();
    for (let round = 0; round < 3; round++) {
      const ch = chan('crowd');
      const clients = await Promise.all(
        Array.from({ length: 40 }, (_, i) => TestClient.connect(nodes[i % 2]!.url, { clientId: `m${round}-${i}` }).then(track)),
      );
      // Every enter sent before any is answered.
      const replies = await Promise.all(clients.map((c, i) => c.request({ type: 'presence.enter', channel: ch, info: { i } })));
      const ok = replies.filter((r) => r.type === 'presence.ok');
      const full = replies.filter((r) => r.type === 'error' && r.code === 'PRESENCE_FULL');
      expect(ok.length + full.length).toBe(clients.length);
      expect(await redis.hlen(channelKeys(prefix, ch).presenceCount)).toBe(CAP);
      expect(ok.length).toBe(CAP);
      // The refusal as before: final (no retryAfterMs), naming the count and the bound.
      for (const r of full) {
        expect(r).toMatchObject({ channel: ch });
        expect(r.retryAfterMs).toBeUndefined();
        expect(r.message).toMatch(new RegExp(`has ${CAP} members.*maxPresenceMembers ${CAP}`));
      }
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('presenceSetBounded from two broker instances at once stores exactly the bound; a member is never refused; expired members make room', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined };
    const a = openBroker({ clock, onError: () => undefined });
    const b = openBroker({ clock, onError: () => undefined });
    const ch = chan('bounded');
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).presenceSetBounded(ch, { clientId: `c${i}`, connId: `k${i}` }, 1000, CAP)),
    );
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(CAP);
    expect(outcomes.filter((o) => o !== undefined).every((o) => o === CAP)).toBe(true);
    const members = [...new Set((await a.presenceList(ch)).map((e) => e.clientId))];
    expect(members).toHaveLength(CAP);

    // A member (another connection, new info) is not a new member.
    const member = members[0]!;
    expect(await b.presenceSetBounded(ch, { clientId: member, connId: 'other', info: 'new' }, 5000, CAP)).toBeUndefined();
    expect(await a.presenceCount(ch, 'late')).toEqual({ count: CAP, member: false });
    expect(await a.presenceSetBounded(ch, { clientId: 'late', connId: 'kl' }, 1000, CAP)).toBe(CAP);
    // Infinity: unbounded.
    expect(await a.presenceSetBounded(ch, { clientId: 'late', connId: 'kl' }, 1000, Infinity)).toBeUndefined();
    await a.presenceRemove(ch, 'late', 'kl');
    // Every entry but `member`'s second one expires: the sweep in the enter's script counts first.
    now += 2000;
    expect(await b.presenceSetBounded(ch, { clientId: 'late', connId: 'kl' }, 1000, CAP)).toBeUndefined();
    expect(await a.presenceCount(ch, 'late')).toEqual({ count: 2, member: true });
  });
});
