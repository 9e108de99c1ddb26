// Options set to Infinity ("no limit", "never"): timers must not fire at once, and the
// welcome must carry numbers (JSON writes Infinity as null).
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/serverFixture';

const { start, connect, open } = useServer();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('options set to Infinity', () => {
  it('handshakeTimeoutMs: Infinity never times a handshake out (Node ran the timer after 1 ms: 4200 before any hello)', async () => {
    await start({ handshakeTimeoutMs: Infinity });
    const c = await open();
    await pause(100);
    expect(c.closed).toBeUndefined();
    c.send({ type: 'hello', v: 1 });
    expect((await c.next('welcome')).type).toBe('welcome');
  });

  it('presenceGraceMs: Infinity keeps a dropped member (it left after 1 ms)', async () => {
    await start({ presenceGraceMs: Infinity });
    const member = await connect({ clientId: 'ada' });
    const watcher = await connect({ clientId: 'bob' });
    await watcher.subscribe('room');
    expect((await member.request({ type: 'presence.enter', channel: 'room', info: { n: 1 } })).type).toBe('presence.ok');
    await watcher.next('presence', (f) => f.event === 'join');
    member.ws.terminate();
    await pause(150);
    expect(watcher.frames.filter((f) => f.type === 'presence' && f.event === 'leave')).toEqual([]);
    const again = await connect({ clientId: 'carol' });
    expect((await again.subscribe('room')).presence).toEqual([{ clientId: 'ada', info: { n: 1 } }]);
  });

  it('the welcome carries every unbounded limit as a number (2^53-1), never null', async () => {
    const server = await start({
      heartbeatMs: Infinity, maxFrameBytes: Infinity, maxChannels: Infinity, publishPerSec: Infinity, publishBurst: Infinity,
    });
    const c = await connect();
    const welcome = await c.next('welcome');
    const max = Number.MAX_SAFE_INTEGER;
    expect(welcome.heartbeatMs).toBe(max);
    expect(welcome.limits).toEqual({ maxFrameBytes: max, maxChannels: max, publishPerSec: max, publishBurst: max });
    // and the server still works: no ping storm from a heartbeat timer firing every 1 ms
    await pause(100);
    expect(server.stats().framesOut.ping ?? 0).toBe(0);
    const ack = await c.publish('free', 'x'.repeat(100_000), 'big-1');
    expect(ack).toMatchObject({ type: 'ack', offset: 1 });
  });
});
