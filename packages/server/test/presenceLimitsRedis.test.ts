// maxPresenceMembers on the Redis broker: checked by the enter script itself (HLEN of the channel's
// per-clientId count hash, after the expiry sweep), not by reading the member list, which
// cost every new member's enter the whole channel's presence (1,000 members of 4 KB info:
// 4 MB read from Redis per enter, and a refused one could be sent 100 times a second).
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';

const { available, start, connect, openBroker } = await useRedisServer();

describe.skipIf(!available)('maxPresenceMembers (Redis broker)', () => {
  it('refuses a new member on a full channel with PRESENCE_FULL without reading the member list, counts a clientId on two connections once, and has room after a leave', async () => {
    const broker = openBroker();
    const list = vi.spyOn(broker, 'presenceList');
    await start({ broker, maxPresenceMembers: 3, presenceGraceMs: 0 });
    const members = [];
    for (const id of ['a', 'b', 'c']) {
      const c = await connect({ clientId: id });
      expect(await c.request({ type: 'presence.enter', channel: 'room', info: { id, pad: 'x'.repeat(4000) } })).toMatchObject({ type: 'presence.ok' });
      members.push(c);
    }
    // A second connection of a member is the same member.
    const aAgain = await connect({ clientId: 'a' });
    expect(await aAgain.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });

    const d = await connect({ clientId: 'd' });
    const listed = list.mock.calls.length;
    const refused = await d.request({ type: 'presence.enter', channel: 'room', info: { id: 'd' } });
    expect(refused).toMatchObject({ type: 'error', code: 'PRESENCE_FULL', channel: 'room' });
    expect(refused.message).toMatch(/3 members.*maxPresenceMembers 3/);
    expect(list.mock.calls.length).toBe(listed);
    // A member may still change its info.
    expect(await members[0]!.request({ type: 'presence.enter', channel: 'room', info: { id: 'a2' } })).toMatchObject({ type: 'presence.ok' });
    await members[1]!.request({ type: 'presence.leave', channel: 'room' });
    expect(await d.request({ type: 'presence.enter', channel: 'room', info: { id: 'd' } })).toMatchObject({ type: 'presence.ok' });
  });

  it('counts members on the broker, expired entries swept first', async () => {
    const clock = new FakeClock();
    const broker = openBroker({ clock, onError: () => undefined });
    await broker.presenceSet('count', { clientId: 'x', connId: 'c1', info: null }, 1000);
    await broker.presenceSet('count', { clientId: 'x', connId: 'c2', info: null }, 1000);
    await broker.presenceSet('count', { clientId: 'y', connId: 'c3', info: null }, 5000);
    expect(await broker.presenceCount('count', 'x')).toEqual({ count: 2, member: true });
    expect(await broker.presenceCount('count', 'z')).toEqual({ count: 2, member: false });
    clock.advance(2000); // x's entries expired
    expect(await broker.presenceCount('count', 'x')).toEqual({ count: 1, member: false });
  });
});
