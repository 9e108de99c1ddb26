// Snapshot listeners (client.subscribe, channel.subscribeSnapshot: the store contract a
// UI binds to) are user code like event listeners, and are held to the same rule: one
// that throws does not stop the others, nor the client. They were called bare, so the
// throw left the client half way: out of the socket's message handler in the middle
// of a welcome (no channel re-subscribed), out of a retry before its timer was armed
// (the client never reconnected), out of a delivery (the next messages stuck).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from './support/harness';

const bug = () => {
  throw new Error('listener bug');
};

// The error is rethrown on a timer of its own (as the emitter does), not to the caller.
beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout'] }));
afterEach(() => void vi.useRealTimers());

describe('a snapshot listener that throws', () => {
  it('client.subscribe(): the welcome still re-subscribes the channels, the listeners after it are told, and its error surfaces', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.client.subscribe(bug);
    const after = vi.fn();
    h.client.subscribe(after);
    expect(() => h.accept()).not.toThrow();
    expect(h.client.state).toBe('open');
    expect(h.sock.frames('sub').map((f) => f.channel)).toEqual(['room']);
    expect(after).toHaveBeenCalled();
    expect(() => vi.runAllTimers()).toThrow('listener bug');
  });

  it('client.subscribe(): a socket that closes still schedules the retry, and it runs', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    h.client.subscribe(bug);
    expect(() => h.sock.serverClose(1006)).not.toThrow();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 100 });
    h.clock.advance(100);
    expect(h.sockets).toHaveLength(2);
    expect(() => vi.runAllTimers()).toThrow('listener bug');
  });

  it('channel.subscribeSnapshot(): messages are still delivered, in order, and the position moves', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    ch.subscribeSnapshot(bug);
    expect(() => h.answerSubs({ room: { offset: 0, epoch: 'e1' } })).not.toThrow();
    expect(ch.getSnapshot().state).toBe('subscribed');
    for (const o of [1, 2, 3]) expect(() => h.msg('room', o)).not.toThrow();
    expect(got).toEqual([1, 2, 3]);
    expect(ch.position).toEqual({ offset: 3, epoch: 'e1' });
    expect(() => vi.runAllTimers()).toThrow('listener bug');
  });
});
