import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

/** React's usePresence hands members() to useSyncExternalStore: identity must mean change. */
describe('presence.members() identity', () => {
  it('is the same frozen array until membership changes, a new one after each change', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const events: unknown[] = [];
    ch.on('presence', (m) => events.push(m));
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1', presence: [{ clientId: 'a', info: 1 }] } as any });
    const first = ch.presence.members();
    expect(Object.isFrozen(first)).toBe(true);
    expect(ch.presence.members()).toBe(first);

    // No change: a leave of someone absent, a join that repeats a member as it is.
    s.push({ type: 'presence', channel: 'room', event: 'leave', member: { clientId: 'zz' } });
    s.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: 'a', info: 1 } });
    expect(ch.presence.members()).toBe(first);
    expect(events).toHaveLength(1);

    s.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: 'b' } });
    const second = ch.presence.members();
    expect(second).not.toBe(first);
    expect(second).toEqual([{ clientId: 'a', info: 1 }, { clientId: 'b' }]);
    expect(first).toEqual([{ clientId: 'a', info: 1 }]); // the old snapshot is untouched

    s.push({ type: 'presence', channel: 'room', event: 'update', member: { clientId: 'a', info: 2 } });
    const third = ch.presence.members();
    expect(third).not.toBe(second);
    expect(events).toHaveLength(3);
  });

  it('a reconnect that re-announces the same members keeps the same array', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const members = [{ clientId: 'a' }, { clientId: 'b', info: { x: 1 } }];
    h.answerSubs({ room: { offset: 0, epoch: 'e1', presence: members } as any });
    const before = ch.presence.members();
    h.sock.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept();
    expect(h.client.state).toBe('open');
    // same members, other order
    h.answerSubs({ room: { offset: 0, epoch: 'e1', recovered: true, presence: [members[1], members[0]] } as any });
    expect(ch.presence.members()).toBe(before);
  });
});
