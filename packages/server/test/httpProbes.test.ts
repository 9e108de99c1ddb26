// Probes (operator trial, F9/F14): /healthz is readiness (503 in a broker outage and while
// draining), so a Kubernetes livenessProbe on it restarted every node in one Redis outage;
// /livez answers 200 while the process serves HTTP. Other methods on either are 405 with
// Allow, as on the other routes (POST /healthz was 404 "no route").
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/index';
import { useServer } from './helpers/serverFixture';

const { start, connect } = useServer();
const rawOf = (c: { ws: unknown }) => (c.ws as { _socket: { pause(): void; resume(): void } })._socket;

describe('/livez and /healthz', () => {
  it('GET /livez is 200 in a broker outage, while /healthz is 503', async () => {
    const broker = memoryBroker();
    const server = await start({ broker });
    await broker.close();
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(503);
    const live = await fetch(`${server.httpUrl}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true, draining: false, connections: 0 });
    expect((await fetch(`${server.httpUrl}/livez`, { method: 'HEAD' })).status).toBe(200);
  });

  it('GET /livez is 200 while draining, /healthz 503', async () => {
    const server = await start();
    const straggler = await connect();
    rawOf(straggler).pause(); // keeps the drain going until its deadline
    const draining = server.drain({ timeoutMs: 1000 });
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(503);
    const live = await fetch(`${server.httpUrl}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ ok: true, draining: true });
    rawOf(straggler).resume();
    await draining;
  });

  for (const path of ['/healthz', '/livez']) {
    it(`POST/PUT/DELETE ${path} is 405 with Allow: GET, HEAD`, async () => {
      const server = await start();
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await fetch(`${server.httpUrl}${path}`, { method, body: method === 'DELETE' ? undefined : '{}' });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
        expect(await res.json()).toMatchObject({ code: 'BAD_FRAME' });
      }
    });
  }
});
