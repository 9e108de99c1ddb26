// drain({ timeoutMs }) edge values: a timeout no timer can hold means "no deadline", a
// nonsensical one is refused before anything stops.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';
import { waitFor } from './helpers/waitFor';
import { TestClient } from './helpers/wsClient';

let server: LifelineServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('drain timeout', () => {
  for (const [label, opts, drainOpts] of [
    ['drain({ timeoutMs: Infinity })', {}, { timeoutMs: Infinity }],
    ['drain({ timeoutMs: 2 ** 31 })', {}, { timeoutMs: 2 ** 31 }],
    ['drainTimeoutMs: Infinity', { drainTimeoutMs: Infinity }, undefined],
  ] as const) {
    it(`${label} waits for the last client instead of cutting everyone after 1 ms`, async () => {
      server = await createServer(opts);
      const c = await TestClient.connect(server.url);
      clients.push(c);
      rawOf(c).pause(); // has not read its drain frame and close yet
      const s = server;
      let settled = false;
      const draining = s.drain(drainOpts).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      expect(s.stats().connections).toBe(1);
      rawOf(c).resume(); // reads drain + 1012 and answers: the drain ends with it
      await draining;
      expect(c.frames.some((f) => f.type === 'drain')).toBe(true);
      expect((await c.waitClosed()).code).toBe(1012);
      expect(s.stats().connections).toBe(0);
    });
  }

  it('a negative or NaN timeoutMs is refused with a TypeError before anything stops', async () => {
    server = await createServer();
    const c = await TestClient.connect(server.url);
    clients.push(c);
    await expect(server.drain({ timeoutMs: -1 })).rejects.toThrow(TypeError);
    await expect(server.drain({ timeoutMs: Number.NaN })).rejects.toThrow(TypeError);
    // still serving: the client is connected and answered, /healthz is ok, upgrades are admitted
    c.send({ type: 'ping', t: 1 });
    await c.next('pong');
    expect(c.frames.some((f) => f.type === 'drain')).toBe(false);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    clients.push(await TestClient.connect(server.url));
    await waitFor(() => server!.stats().connections === 2, 'both clients connected');
  });
});
