import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { reconnectWindowMs } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const { start, connect, open } = useServer();

/** A raw upgrade request, to read the HTTP status and headers of a refusal. */
function rawUpgrade(port: number, path = '/v1'): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admission control', () => {
  it('refuses upgrades beyond the token bucket at once with 503, Retry-After and x-retry-after-ms (fake clock)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, maxHandshakesPerSec: 2 });
    await connect();
    await connect();
    const refused = await rawUpgrade(server.port);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(Number(refused.headers['x-retry-after-ms'])).toBe(500); // one token every 500 ms at 2/s
    // (the await above resolving at all is the proof it was answered, not left hanging)
    await expect(open('/echo')).rejects.toThrow(/503/);
    clock.advance(500);
    await connect();
    expect(server.stats()).toMatchObject({ handshakesAccepted: 3, handshakesRefused: 2, connections: 3 });
  });

  it('a rate below one per second still admits one handshake, then one every 1/rate seconds (fake clock)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, maxHandshakesPerSec: 0.5 });
    await connect();
    const refused = await rawUpgrade(server.port);
    expect(refused.status).toBe(503);
    expect(refused.headers['x-retry-after-ms']).toBe('2000');
    expect(refused.headers['retry-after']).toBe('2');
    clock.advance(2000);
    await connect();
  });

  it('with no limit configured every upgrade is admitted', async () => {
    const server = await start();
    for (let i = 0; i < 20; i++) await open('/echo');
    expect(server.stats()).toMatchObject({ handshakesAccepted: 20, handshakesRefused: 0 });
  });

  it('unknown upgrade paths get 404', async () => {
    const server = await start();
    expect((await rawUpgrade(server.port, '/nope')).status).toBe(404);
  });
});

describe('drain', () => {
  it('reconnectWindowMs = max(1000, 1.2 × connected ÷ admission rate × 1000)', () => {
    expect(reconnectWindowMs(0, 100)).toBe(1000);
    expect(reconnectWindowMs(3, 4)).toBe(1000); // 900 → floor of 1000
    expect(reconnectWindowMs(10_000, 1000)).toBe(12_000);
    expect(reconnectWindowMs(5, Infinity)).toBe(1000);
  });

  it('sends every client a drain frame, closes it with 1012, refuses new upgrades, then stops', async () => {
    const server = await start({ maxHandshakesPerSec: 2 });
    const a = await connect();
    const b = await connect();
    const echo = await open('/echo').catch(() => undefined); // the bucket holds 2 tokens
    const draining = server.drain({ timeoutMs: 5000 });
    for (const c of [a, b]) {
      // 1.2 × 2 ÷ 2/s = 1,200 ms, less what the pass had taken when this frame was written
      const frame = (await c.next('drain')) as { type: string; reconnectWindowMs: number };
      expect(frame.type).toBe('drain');
      expect(frame.reconnectWindowMs).toBeLessThanOrEqual(1200);
      expect(frame.reconnectWindowMs).toBeGreaterThan(1100);
      expect((await c.waitClosed()).code).toBe(1012);
    }
    expect(echo).toBeUndefined();
    await draining;
    await expect(fetch(`${server.httpUrl}/healthz`)).rejects.toThrow();
    expect(server.stats().connections).toBe(0);
  });

  it('refuses upgrades with 503 while draining and terminates stragglers after the timeout', async () => {
    const server = await start();
    const c = await connect();
    // a straggler: stop reading so the close handshake never completes
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const draining = server.drain({ timeoutMs: 300 });
    const refused = await rawUpgrade(server.port);
    expect(refused.status).toBe(503);
    await draining;
    expect(server.stats().connections).toBe(0);
  });
});
