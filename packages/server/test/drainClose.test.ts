import { describe, expect, it } from 'vitest';
import { drainAll, drainSlotMs } from '../src/drainClose';
import type { Session } from '../src/session/session';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

// Terminate, not close: a client whose ws.close is stubbed out (first test) may be left
// half-way through the close handshake, where close() would leave it.
const { start, connect, clients } = useServer({ dropClients: 'terminate' });

describe('drain close', () => {
  it("ends the connection right after the 1012 close frame: a client is closed without the server's answer to its close reply", async () => {
    const server = await start();
    const c = await connect();
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
    const server = await start({ maxHandshakesPerSec: 1000 });
    for (let i = 0; i < 20; i++) await connect();
    await server.drain({ timeoutMs: 5000 });
    for (const c of clients) {
      await waitFor(() => c.closed, 'closed');
      expect(c.frames.at(-1)).toMatchObject({ type: 'drain' });
      expect(c.closed).toMatchObject({ code: 1012, reason: 'drain' });
    }
  });

  it('hands out consecutive slots that tile the window, in connection order', async () => {
    const server = await start({ maxHandshakesPerSec: 1000 });
    for (let i = 0; i < 8; i++) await connect();
    await server.drain({ timeoutMs: 5000 });
    const frames = await Promise.all(clients.map((c) => c.next('drain') as unknown as Promise<{ reconnectWindowMs: number; reconnectSlotMs?: [number, number] }>));
    // 8 clients at 1,000/s: the 1 s minimum window. Each frame carries what is left of it
    // when it was written (1 s − spent) and client k's slot k/8 of the window counted from
    // then; a slot the pass had already finished is left out.
    const windowMs = 1000;
    frames.forEach((f, k) => {
      const spent = windowMs - f.reconnectWindowMs;
      expect(spent).toBeGreaterThanOrEqual(0);
      const [a, b] = drainSlotMs(k, frames.length, windowMs);
      if (b <= spent) expect(f.reconnectSlotMs).toBeUndefined();
      else expect(f.reconnectSlotMs).toEqual([Math.max(0, a - spent), b - spent]);
    });
  });

  const fakeSession = (i: number, calls: string[]) =>
    ({
      ws: {},
      sendRaw: (text: string) => {
        const f = JSON.parse(text);
        calls.push(`frame ${i} ${f.reconnectWindowMs} ${f.reconnectSlotMs?.join('-') ?? 'no slot'}`);
      },
      close: (code: number) => calls.push(`close ${i} ${code}`),
    }) as unknown as Session;

  it('closes the latest slot first, each client after its own frame', () => {
    const calls: string[] = [];
    drainAll([0, 1, 2].map((i) => fakeSession(i, calls)), 3000, () => 0);
    expect(calls).toEqual(['frame 2 3000 2000-3000', 'close 2 1012', 'frame 1 3000 1000-2000', 'close 1 1012', 'frame 0 3000 0-1000', 'close 0 1012']);
  });

  it('counts window and slot from when each frame is written; a slot already passed is left out', () => {
    // A pass slow enough to matter: 1.5 s in before the second frame, 2.5 s before the third.
    const times = [0, 0, 1500, 2500];
    const calls: string[] = [];
    drainAll([0, 1, 2].map((i) => fakeSession(i, calls)), 3000, () => times.shift()!);
    expect(calls.filter((c) => c.startsWith('frame'))).toEqual([
      'frame 2 3000 2000-3000',
      'frame 1 1500 0-500', // 1,000-2,000 ms of the window, 1.5 s of it gone: what is left of it
      'frame 0 500 no slot', // 0-1,000 ms: gone; the client spreads over the 0.5 s left
    ]);
  });

  it('drainSlotMs splits the window into n consecutive integer slots', () => {
    expect([0, 1, 2].map((k) => drainSlotMs(k, 3, 1000))).toEqual([[0, 333], [333, 666], [666, 1000]]);
  });
});
