// Presence bounds: members per channel (maxPresenceMembers, PRESENCE_FULL), and the member
// list of `subscribed` serialized once per unchanged list instead of for every `sub`.
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import type { PresenceEntry } from '../src/broker/types';
import { parseCliArgs, USAGE } from '../src/cliArgs';
import { resolveOptions } from '../src/options';
import { systemClock } from '../src/clock';
import { subscribedText } from '../src/session/presenceReply';
import { useServer } from './helpers/serverFixture';

const fixture = useServer();

describe('maxPresenceMembers', () => {
  it('refuses an enter of a new member on a full channel with PRESENCE_FULL (final), lets members update, and has room again after a leave', async () => {
    await fixture.start({ maxPresenceMembers: 3, presenceGraceMs: 0 });
    const members = [];
    for (const id of ['a', 'b', 'c']) {
      const c = await fixture.connect({ clientId: id });
      expect(await c.request({ type: 'presence.enter', channel: 'room', info: { id } })).toMatchObject({ type: 'presence.ok' });
      members.push(c);
    }
    const d = await fixture.connect({ clientId: 'd' });
    const refused = await d.request({ type: 'presence.enter', channel: 'room', info: { id: 'd' } });
    expect(refused).toMatchObject({ type: 'error', code: 'PRESENCE_FULL', channel: 'room' });
    expect(refused.message).toMatch(/3 members.*maxPresenceMembers 3/);
    expect(refused.retryAfterMs).toBeUndefined();
    // A member already present may still change its info; another channel is not full.
    expect(await members[0]!.request({ type: 'presence.enter', channel: 'room', info: { id: 'a2' } })).toMatchObject({ type: 'presence.ok' });
    expect(await d.request({ type: 'presence.enter', channel: 'other' })).toMatchObject({ type: 'presence.ok' });
    expect((await d.subscribe('room')).presence).toHaveLength(3);
    await members[1]!.request({ type: 'presence.leave', channel: 'room' });
    expect(await d.request({ type: 'presence.enter', channel: 'room', info: { id: 'd' } })).toMatchObject({ type: 'presence.ok' });
  });

  it('counts a clientId on two connections once', async () => {
    await fixture.start({ maxPresenceMembers: 1 });
    const tab1 = await fixture.connect({ clientId: 'same' });
    const tab2 = await fixture.connect({ clientId: 'same' });
    expect(await tab1.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
    expect(await tab2.request({ type: 'presence.enter', channel: 'room' })).toMatchObject({ type: 'presence.ok' });
  });

  it('defaults to 1000, takes Infinity, and has a CLI flag', () => {
    expect(resolveOptions({}, systemClock).maxPresenceMembers).toBe(1000);
    expect(resolveOptions({ maxPresenceMembers: Infinity }, systemClock).maxPresenceMembers).toBe(Infinity);
    expect(() => resolveOptions({ maxPresenceMembers: 0 }, systemClock)).toThrow(TypeError);
    expect(parseCliArgs(['--max-presence-members', '50']).maxPresenceMembers).toBe(50);
    expect(USAGE).toContain('--max-presence-members');
  });
});

describe('the member list of subscribed', () => {
  it('is the same frozen list from the memory broker while presence does not change, and a new one after', async () => {
    const broker = memoryBroker();
    await broker.presenceSet('room', { clientId: 'a', connId: 'c1', info: 1 }, 1000);
    const first = await broker.presenceList('room');
    expect(Object.isFrozen(first)).toBe(true);
    expect(await broker.presenceList('room')).toBe(first);
    await broker.presenceSet('room', { clientId: 'b', connId: 'c2' }, 1000);
    const second = await broker.presenceList('room');
    expect(second).not.toBe(first);
    expect(second.map((e) => e.clientId)).toEqual(['a', 'b']);
    await broker.presenceRemove('room', 'a', 'c1');
    expect((await broker.presenceList('room')).map((e) => e.clientId)).toEqual(['b']);
  });

  it('serializes the members once per frozen list, as JSON.stringify of the whole frame would', () => {
    let serialized = 0;
    const info = { toJSON: () => (serialized++, { n: 1 }) };
    const entries: PresenceEntry[] = [
      { clientId: 'a', connId: 'c1', info: { old: true } },
      { clientId: 'a', connId: 'c2', user: 'u', info },
    ];
    const reply = { type: 'subscribed' as const, ref: 3, channel: 'room', epoch: 'e', offset: 7 };
    const expected = JSON.stringify({ ...reply, presence: [{ clientId: 'a', user: 'u', info: { n: 1 } }] });
    const frozen = Object.freeze([...entries]);
    expect(subscribedText(reply, frozen)).toBe(expected);
    expect(subscribedText({ ...reply, ref: 4 }, frozen)).toBe(expected.replace('"ref":3', '"ref":4'));
    expect(serialized).toBe(1);
    // A list that may change (another broker's) is serialized every time.
    subscribedText(reply, entries);
    subscribedText(reply, entries);
    expect(serialized).toBe(3);
  });

  it('answers a repeated sub with the same members', async () => {
    await fixture.start();
    const a = await fixture.connect({ clientId: 'a' });
    await a.request({ type: 'presence.enter', channel: 'room', info: { x: 1 } });
    const w = await fixture.connect({ clientId: 'w' });
    const one = await w.subscribe('room');
    const two = await w.subscribe('room');
    expect(one.presence).toEqual([{ clientId: 'a', info: { x: 1 } }]);
    expect(two.presence).toEqual(one.presence);
    await a.request({ type: 'presence.enter', channel: 'room', info: { x: 2 } });
    expect((await w.subscribe('room')).presence).toEqual([{ clientId: 'a', info: { x: 2 } }]);
  });
});
