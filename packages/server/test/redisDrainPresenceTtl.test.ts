// A drained node's presence entries must outlive a reconnect window longer than their TTL.
// On Redis an entry expires presenceTtlMs (45 s at defaults) after its last heartbeat
// refresh, and nothing refreshes it once its socket is closed; the window is
// 1.2 × connected ÷ maxHandshakesPerSec (2,100 clients at 100/s: ~25 s). Before the fix,
// with a 60 s window, a member coming back at 50 s was announced `leave` by the other
// node's sweep at ~45 s and `join` again at 50 s. Both brokers and node A run on one fake
// clock (expiry times and sweeps), so 60 s pass in well under a second.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer, type ServerOptions } from '../src';
import { redisBroker } from '../src/broker/redisBroker';
import { FakeClock } from './helpers/fakeClock';
import { waitFor } from './helpers/waitFor';
import { TestClient, type Frame } from './helpers/wsClient';
import { REDIS_URL, redisSuite } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(clock: FakeClock, extra: ServerOptions = {}): Promise<LifelineServer> {
  const broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, clock, onError: () => undefined });
  const server = await createServer({ port: 0, broker, presenceGraceMs: 5000, ...extra });
  cleanups.push(async () => {
    await server.close();
    await broker.close();
  });
  return server;
}

const events = (c: TestClient): string[] => c.frames.filter((f: Frame) => f.type === 'presence').map((f) => `${f.event}:${f.member.clientId}`);

describe.skipIf(!available)('presence through a drain whose reconnect window outlasts the entry TTL (Redis)', () => {
  it('a member back on another node after the TTL (50 s of a 60 s window) neither leaves nor joins', async () => {
    const clock = new FakeClock();
    // One client at 0.02 handshakes/s: a reconnect window of 1.2 ÷ 0.02 = 60 s.
    const a = await startNode(clock, { clock, maxHandshakesPerSec: 0.02 });
    const b = await startNode(clock);
    const channel = `drain-ttl.${Date.now()}`;
    const watcher = await TestClient.connect(b.url, { clientId: 'watcher' });
    cleanups.push(() => watcher.close());
    await watcher.subscribe(channel);
    const mover = await TestClient.connect(a.url, { clientId: 'm1' });
    cleanups.push(() => mover.close());
    await mover.request({ type: 'presence.enter', channel });
    await waitFor(() => events(watcher).length === 1, 'the join on node B');

    let drained = false;
    const draining = a.drain({ timeoutMs: 120_000 }).then(() => (drained = true));
    const windowMs = (await mover.next('drain')).reconnectWindowMs as number;
    expect(windowMs).toBe(60_000);
    await mover.waitClosed();
    await waitFor(() => a.stats().connections === 0, 'node A emptied');

    // Fake time moves in steps; each step gives the sweeps (real Redis calls) time to run.
    let elapsed = 0;
    const step = async (): Promise<void> => {
      clock.advance(500);
      elapsed += 500;
      await new Promise((r) => setTimeout(r, 5));
    };
    while (elapsed < 50_000) await step();
    const back = await TestClient.connect(b.url, { clientId: 'm1' });
    cleanups.push(() => back.close());
    expect(await back.request({ type: 'presence.enter', channel })).toMatchObject({ type: 'presence.ok' });
    while (!drained && elapsed < 120_000) await step();
    await draining;
    // A few sweeps more: a late leave would show up here.
    for (let i = 0; i < 10; i++) await step();
    expect(events(watcher)).toEqual(['join:m1']);
    const fresh = await TestClient.connect(b.url);
    cleanups.push(() => fresh.close());
    const list = (await fresh.subscribe(channel)).presence as { clientId: string }[];
    expect(list.map((m) => m.clientId)).toEqual(['m1']);
  });
});
