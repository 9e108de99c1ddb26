import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';
import { drainAll, drainSlotMs } from '../src/drainClose';
import type { Session } from '../src/session/session';
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

  it('hands out consecutive slots that tile the window, in connection order', async () => {
    server = await createServer({ maxHandshakesPerSec: 1000 });
    for (let i = 0; i < 8; i++) clients.push(await TestClient.connect(server.url));
    await server.drain({ timeoutMs: 5000 });
    const frames = await Promise.all(clients.map((c) => c.next('drain') as unknown as Promise<{ reconnectWindowMs: number; reconnectSlotMs: [number, number] }>));
    const windowMs = frames[0]!.reconnectWindowMs;
    expect(frames.every((f) => f.reconnectWindowMs === windowMs)).toBe(true);
    expect(frames[0]!.reconnectSlotMs[0]).toBe(0);
    expect(frames.at(-1)!.reconnectSlotMs[1]).toBe(windowMs);
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.reconnectSlotMs[0]).toBe(frames[i - 1]!.reconnectSlotMs[1]);
  });

  it('closes the latest slot first, each client after its own frame', () => {
    const calls: string[] = [];
    const fake = (i: number) =>
      ({
        ws: {},
        sendRaw: (text: string) => calls.push(`frame ${i} ${JSON.parse(text).reconnectSlotMs.join('-')}`),
        close: (code: number) => calls.push(`close ${i} ${code}`),
      }) as unknown as Session;
    drainAll([0, 1, 2].map(fake), 3000);
    expect(calls).toEqual(['frame 2 2000-3000', 'close 2 1012', 'frame 1 1000-2000', 'close 1 1012', 'frame 0 0-1000', 'close 0 1012']);
  });

  it('drainSlotMs splits the window into n consecutive integer slots', () => {
    expect([0, 1, 2].map((k) => drainSlotMs(k, 3, 1000))).toEqual([[0, 333], [333, 666], [666, 1000]]);
  });
});
