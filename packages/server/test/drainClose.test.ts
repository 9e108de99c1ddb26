import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';
import { TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

let server: LifelineServer | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  server = undefined;
});

describe('drain close', () => {
  it("ends the connection right after the 1012 close frame: a client is closed without the server's answer to its close reply", async () => {
    server = await createServer();
    const c = await TestClient.connect(server.url);
    clients.push(c);
    // A client that never answers the close frame: without the half-close the server
    // would keep the connection until ws's 30 s close timeout or the drain timeout.
    c.ws.close = () => undefined;
    const draining = server.drain({ timeoutMs: 60_000 });
    expect(await c.next('drain')).toMatchObject({ reconnectWindowMs: 1000 });
    expect(await waitFor(() => c.closed, 'the client closed', 5000)).toMatchObject({ code: 1012 });
    await draining; // and the server saw it go: nobody waited for the 60 s timeout
    expect(server.stats().connections).toBe(0);
  });

  it('the drain frame and the close frame still arrive, in that order, for every client', async () => {
    server = await createServer({ maxHandshakesPerSec: 1000 });
    for (let i = 0; i < 20; i++) clients.push(await TestClient.connect(server.url));
    await server.drain({ timeoutMs: 5000 });
    for (const c of clients) {
      await waitFor(() => c.closed, 'closed');
      expect(c.frames.at(-1)).toMatchObject({ type: 'drain' });
      expect(c.closed).toMatchObject({ code: 1012, reason: 'drain' });
    }
  });
});
