// What the README's "Backlogged consumers" paragraph says a drain does to a consumer that
// applies backpressure (its socket paused): the drain frame and the 1012 close are
// written behind what is already queued for it, so it reads its whole backlog first.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/serverFixture';
import type { TestClient } from './helpers/wsClient';

const { start, connect } = useServer();

const rawOf = (c: TestClient) => (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('drain behind a paused consumer’s backlog', () => {
  it('the drain frame and 1012 come after every message queued before the drain, none lost', async () => {
    const server = await start();
    const c = await connect();
    await c.subscribe('orders');
    rawOf(c).pause();
    const big = 'x'.repeat(60_000); // 100 of them: ~6 MB queued, under maxBufferedBytes (16 MiB)
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'orders', data: big }) });
      expect(res.status).toBe(200);
    }
    const draining = server.drain({ timeoutMs: 60_000 });
    await new Promise((r) => setImmediate(r)); // the drain pass has written its frame and close
    expect(c.frames.filter((f) => f.type === 'msg' || f.type === 'drain')).toEqual([]);
    rawOf(c).resume();
    await draining;
    expect((await c.waitClosed()).code).toBe(1012);
    const after = c.frames.slice(c.frames.findIndex((f) => f.type === 'subscribed') + 1);
    expect(after.map((f) => f.type)).toEqual([...Array<string>(100).fill('msg'), 'drain']);
    expect(after.slice(0, 100).map((f) => f.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
