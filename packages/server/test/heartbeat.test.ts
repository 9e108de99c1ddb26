import { describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();

describe('heartbeat (fake clock)', () => {
  it('pings every heartbeatMs and terminates a peer silent for two intervals; any frame counts as life', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, heartbeatMs: 1000 });
    const silent = await connect();
    const chatty = await connect();
    const inCount = () => server.stats().framesIn.sub ?? 0;

    clock.advance(1000);
    const ping = await silent.next('ping');
    expect(ping.t).toBe(clock.now());
    await chatty.next('ping');
    // chatty proves life with a non-pong frame; silent says nothing
    const before = inCount();
    chatty.send({ type: 'sub', ref: 1, channel: 'c' });
    await waitFor(() => inCount() > before, 'the server to read the sub');

    clock.advance(1000); // silent for 2 intervals now
    expect((await silent.waitClosed()).code).toBe(1006); // terminated: no close frame
    await chatty.next('ping', () => true, chatty.frames.indexOf(ping) + 1);
    expect(chatty.closed).toBeUndefined();
  });

  it('spreads the ping round over the interval: 20 sessions, 2 per tenth, each exactly once in the interval', async () => {
    const clock = new FakeClock();
    await start({ clock, heartbeatMs: 1000 });
    const all = await Promise.all(Array.from({ length: 20 }, () => connect()));
    const pings = () => all.reduce((n, c) => n + c.frames.filter((f) => f.type === 'ping').length, 0);
    const perTenth: number[] = [];
    for (let tenth = 1; tenth <= 10; tenth++) {
      const before = pings();
      clock.advance(100);
      await waitFor(() => pings() >= before + 2 || undefined, `the pings of tenth ${tenth}`);
      perTenth.push(pings() - before);
    }
    expect(perTenth).toEqual(Array(10).fill(2));
    for (const c of all) expect(c.frames.filter((f) => f.type === 'ping')).toHaveLength(1);
  });

  it('a pong keeps a connection alive across many intervals', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, heartbeatMs: 1000 });
    const c = await connect();
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      const ping = await c.next('ping', (f) => f.t === clock.now());
      c.send({ type: 'pong', t: ping.t });
      await waitFor(() => (server.stats().framesIn.pong ?? 0) === i, 'the pong to arrive');
    }
    expect(c.closed).toBeUndefined();
    expect(server.stats().connections).toBe(1);
  });

  it('a WebSocket-level ping from the peer counts as life (a client library keeping the connection alive that way)', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, heartbeatMs: 1000 });
    const c = await connect();
    for (let i = 1; i <= 4; i++) {
      clock.advance(1000);
      await c.next('ping', (f) => f.t === clock.now());
      // ws answers a ping at once: its pong back means the server has read the ping.
      const ponged = new Promise((resolve) => c.ws.once('pong', resolve));
      c.ws.ping();
      await ponged;
    }
    expect(c.closed).toBeUndefined();
    expect(server.stats().framesIn.pong ?? 0).toBe(0); // never answered a JSON ping
    clock.advance(2000); // now silent for two intervals
    expect((await c.waitClosed()).code).toBe(1006);
  });
});
