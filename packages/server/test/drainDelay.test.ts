// The pre-drain delay (`drainDelayMs`, operator trial): a drain with nobody to hold ended in
// about 15 ms, so a load balancer polling /healthz every few seconds never saw the 503 and
// HTTP publishers and new clients got connection refused instead of being steered away.
// With the delay the node first reports not ready while still serving everything, on the
// server's clock (fake here), then drains as before.
import { describe, expect, it } from 'vitest';
import { createServer, type Logger } from '../src/index';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { TestClient, upgradeStatus } from './helpers/wsClient';

const { start, connect, track } = useServer();

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const say = (msg: string): void => void lines.push(msg);
  return { logger: { debug: say, info: say, warn: say, error: say }, lines };
}

async function healthz(httpUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${httpUrl}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function drainingGauge(httpUrl: string): Promise<string | undefined> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return /^lifeline_draining (\d)$/m.exec(text)?.[1];
}

describe('drainDelayMs: validation', () => {
  it.each([-1, Number.NaN, '500' as unknown as number])('createServer rejects drainDelayMs %s with the TypeError the other options give', async (bad) => {
    await expect(createServer({ drainDelayMs: bad })).rejects.toThrow(new TypeError(`createServer: drainDelayMs must be a non-negative number, got ${String(bad)}`));
  });

  it('takes 0 (the default) and Infinity', async () => {
    await start({ drainDelayMs: 0 });
    await start({ drainDelayMs: Infinity });
  });

  it('drain({ delayMs }) with a negative or NaN value rejects before anything stops: still ready', async () => {
    const server = await start();
    await expect(server.drain({ delayMs: -5 })).rejects.toThrow(new TypeError('drain: delayMs must be a non-negative number of ms, got -5'));
    await expect(server.drain({ delayMs: Number.NaN })).rejects.toThrow(TypeError);
    expect((await healthz(server.httpUrl)).status).toBe(200);
    await connect();
  });
});

describe('drainDelayMs: not ready first, still serving', () => {
  it('during the delay /healthz is 503 and draining 1 while an HTTP publish and a new client work; the drain proper starts when the delay is over', async () => {
    const clock = new FakeClock();
    const { logger, lines } = recordingLogger();
    const server = await start({ clock, logger, drainDelayMs: 5000 });
    const early = await connect();
    await early.subscribe('room:1');

    let drained = false;
    const draining = server.drain({ timeoutMs: 5000 }).then(() => (drained = true));
    expect(lines).toContain('drain: not ready for 5000 ms before draining (/healthz 503; upgrades and HTTP still served)');

    const health = await healthz(server.httpUrl);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, broker: true, draining: true });
    expect(await drainingGauge(server.httpUrl)).toBe('1');
    expect(((await (await fetch(`${server.httpUrl}/livez`)).json()) as { draining: boolean }).draining).toBe(true);

    // An HTTP publish is served (told not to keep the connection), and reaches a subscriber.
    const pub = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'room:1', data: 'during delay', id: 'd1' }) });
    expect(pub.status).toBe(200);
    expect(pub.headers.get('connection')).toBe('close');
    expect(await early.next('msg', (m) => m.data === 'during delay')).toMatchObject({ offset: 1 });

    // A new client is admitted and served.
    const late = await connect();
    expect(await late.publish('room:1', 'late', 'l1')).toMatchObject({ type: 'ack', offset: 2 });

    // One ms short of the delay: still not draining.
    clock.advance(4999);
    await new Promise((r) => setImmediate(r));
    expect(early.frames.some((f) => f.type === 'drain')).toBe(false);
    expect(lines.some((l) => l.startsWith('drain: 2 session(s)'))).toBe(false);
    expect(drained).toBe(false);

    clock.advance(1);
    // Both clients, the one admitted during the delay too, get the drain and 1012.
    for (const c of [early, late]) {
      // What is left of the 1 s window when its frame goes out, counted in real time
      // (drainClose.ts): a loaded machine spent a millisecond between the two frames.
      const { reconnectWindowMs } = await c.next('drain');
      expect(reconnectWindowMs).toBeGreaterThanOrEqual(990);
      expect(reconnectWindowMs).toBeLessThanOrEqual(1000);
      expect((await c.waitClosed()).code).toBe(1012);
    }
    expect(lines.some((l) => l.startsWith('drain: 2 session(s)'))).toBe(true);
    await draining;
  });

  it('upgrades are refused (503) only once the drain proper begins', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, drainDelayMs: 1000 });
    const holder = await connect();
    (holder.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // keeps the drain open after the delay
    const draining = server.drain({ timeoutMs: 2000 });
    expect(await upgradeStatus(`${server.url}/v1`)).toBe(101);
    clock.advance(1000);
    expect(await upgradeStatus(`${server.url}/v1`)).toBe(503);
    holder.ws.terminate();
    await draining;
  });

  it('drain({ delayMs: 0 }) skips the configured delay: upgrades are refused at once', async () => {
    const server = await start({ clock: new FakeClock(), drainDelayMs: 60_000 });
    const holder = await connect();
    (holder.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const draining = server.drain({ delayMs: 0, timeoutMs: 2000 });
    expect(await upgradeStatus(`${server.url}/v1`)).toBe(503);
    holder.ws.terminate();
    await draining;
  });

  it('close() during the delay stops at once (1001), and the pending drain resolves with it', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, drainDelayMs: 60_000 });
    const c = await connect();
    const draining = server.drain();
    expect((await healthz(server.httpUrl)).status).toBe(503);
    await server.close();
    expect((await c.waitClosed()).code).toBe(1001);
    await draining; // would hang on the fake clock if close() left the delay running
    expect(c.frames.some((f) => f.type === 'drain')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('a second drain() during the delay is close(), as during a drain', async () => {
    const server = await start({ clock: new FakeClock(), drainDelayMs: 60_000 });
    const c = track(await TestClient.connect(server.url));
    const first = server.drain();
    await server.drain();
    expect((await c.waitClosed()).code).toBe(1001);
    await first;
  });

  it('drainDelayMs: Infinity stays not ready (still serving) until close()', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, drainDelayMs: Infinity });
    const draining = server.drain();
    clock.advance(2 ** 31);
    expect((await healthz(server.httpUrl)).status).toBe(503);
    await connect();
    await server.close();
    await draining;
  });
});
