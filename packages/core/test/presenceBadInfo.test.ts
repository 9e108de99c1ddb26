// Presence info a server can never take. Info that is not JSON (circular, a BigInt) was
// kept as the wish to be present and threw inside every later welcome: the channels
// after it were not re-subscribed and the outbox was not sent. Info above the server's
// maxFrameBytes was sent anyway: the server closed the socket (1009), the client
// reconnected and sent it again, for ever, and enter() never settled.
import { describe, expect, it } from 'vitest';
import { isLifelineError, type LifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

const codeOf = (p: Promise<unknown>) => p.then(() => 'entered', (e: unknown) => (isLifelineError(e) ? e.code : `other: ${String(e)}`));

describe('presence info a server can never take', () => {
  it('not JSON: enter() rejects with BAD_ARGUMENT at the call, and the next welcome re-subscribes every channel and sends the outbox', async () => {
    const h = setup({ autoConnect: false });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const a = h.client.channel('a');
    a.subscribe(() => {});
    const entered = codeOf(a.presence.enter(circular));
    const big = codeOf(h.client.channel('b').presence.enter({ n: 1n }));
    h.client.channel('c').subscribe(() => {});
    void h.client.publish('c', 'hello');
    expect(await entered).toBe('BAD_ARGUMENT');
    expect(await big).toBe('BAD_ARGUMENT');
    h.client.connect();
    h.accept();
    await flushPromises();
    expect(h.client.state).toBe('open');
    expect(h.sock.frames('sub').map((f) => f.channel)).toEqual(['a', 'c']);
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['hello']);
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
  });

  it('above maxFrameBytes while connected: MESSAGE_TOO_LARGE, nothing sent, an error event, not sent again after a reconnect', async () => {
    const h = setup();
    h.accept({ limits: { maxFrameBytes: 200, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    const ch = h.client.channel('room');
    const chErrors: LifelineError[] = [];
    ch.on('error', (e) => chErrors.push(e));
    const entered = codeOf(ch.presence.enter({ bio: 'x'.repeat(300) }));
    expect(await entered).toBe('MESSAGE_TOO_LARGE');
    expect(chErrors.map((e) => [e.code, e.channel])).toEqual([['MESSAGE_TOO_LARGE', 'room']]);
    expect(chErrors[0]!.message).toMatch(/^presence\.enter room: \d+ B > maxFrameBytes 200$/);
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
    h.sock.serverClose(1006);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    expect(h.sockets).toHaveLength(2);
    h.accept({ limits: { maxFrameBytes: 200, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    expect(h.client.state).toBe('open');
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
    // A small enter afterwards goes out as usual.
    void ch.presence.enter({ name: 'ada' });
    expect(h.sock.frames('presence.enter').map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });

  it('queued before the welcome and above its limit: rejected when the limit becomes known, the rest of the welcome goes on', async () => {
    const h = setup({ autoConnect: false });
    const room = h.client.channel('room');
    const entered = codeOf(room.presence.enter({ bio: 'x'.repeat(300) }));
    h.client.channel('news').subscribe(() => {});
    void h.client.publish('news', 'queued');
    h.client.connect();
    h.accept({ limits: { maxFrameBytes: 200, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    expect(await entered).toBe('MESSAGE_TOO_LARGE');
    expect(h.errors.map((e) => e.code)).toEqual(['MESSAGE_TOO_LARGE']);
    expect(h.sock.frames('presence.enter')).toHaveLength(0);
    expect(h.sock.frames('sub').map((f) => f.channel)).toContain('news');
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['queued']);
    expect(h.client.state).toBe('open');
  });
});
