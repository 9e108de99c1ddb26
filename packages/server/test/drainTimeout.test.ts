// drain({ timeoutMs }) edge values: a timeout no timer can hold means "no deadline", a
// nonsensical one is refused before anything stops.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer();

const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('drain timeout', () => {
  for (const [label, opts, drainOpts] of [
    ['drain({ timeoutMs: Infinity })', {}, { timeoutMs: Infinity }],
    ['drain({ timeoutMs: 2 ** 31 })', {}, { timeoutMs: 2 ** 31 }],
    ['drainTimeoutMs: Infinity', { drainTimeoutMs: Infinity }, undefined],
  ] as const) {
    it(`${label} waits for the last client instead of cutting everyone after 1 ms`, async () => {
      const server = await start(opts);
      const c = await connect();
      rawOf(c).pause(); // has not read its drain frame and close yet
      let settled = false;
      const draining = server.drain(drainOpts).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      expect(server.stats().connections).toBe(1);
      rawOf(c).resume(); // reads drain + 1012 and answers: the drain ends with it
      await draining;
      expect(c.frames.some((f) => f.type === 'drain')).toBe(true);
      expect((await c.waitClosed()).code).toBe(1012);
      expect(server.stats().connections).toBe(0);
    });
  }

  it('a negative or NaN timeoutMs is refused with a TypeError before anything stops', async () => {
    const server = await start();
    const c = await connect();
    await expect(server.drain({ timeoutMs: -1 })).rejects.toThrow(TypeError);
    await expect(server.drain({ timeoutMs: Number.NaN })).rejects.toThrow(TypeError);
    // still serving: the client is connected and answered, /healthz is ok, upgrades are admitted
    c.send({ type: 'ping', t: 1 });
    await c.next('pong');
    expect(c.frames.some((f) => f.type === 'drain')).toBe(false);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    await connect();
    await waitFor(() => server.stats().connections === 2, 'both clients connected');
  });
});
