// The reference client against the reference server with short-lived tokens: the client
// renews its token in band (`auth`) before each expiry, so one connection outlives many
// tokens (before, the server closed it 4101 at every token's exp and the client
// reconnected and replayed). Real sockets on port 0; both sides on one manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LifelineClient, type StateChange, type TokenContext } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer, signToken, type LifelineServer } from '../src/index';
import { waitFor } from './helpers/waitFor';

const SECRET = 'reauth-client-secret';
const T0 = 1_800_000_000_000;
const cores: LifelineClient[] = [];
const servers: LifelineServer[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('in-band token renewal, core client against the server', () => {
  it('three 60 s token lifetimes on one connection: renewed in band, no 4101, messages flow throughout', async () => {
    const clock = createManualClock(T0);
    const server = await createServer({ port: 0, authSecret: SECRET, clock, heartbeatMs: 3_600_000 });
    servers.push(server);
    const reasons: string[] = [];
    const mint = (ctx: TokenContext) => (reasons.push(ctx.reason), signToken({ sub: 'ada', exp: Math.floor(clock.now() / 1000) + 60 }, SECRET));
    const client = createClient({ url: `${server.url}/v1`, clock, lifecycle: false, token: mint });
    const pub = createClient({ url: `${server.url}/v1`, clock, lifecycle: false, token: mint });
    cores.push(client, pub);
    const states: StateChange[] = [];
    client.on('state', (s) => states.push(s));
    const got: number[] = [];
    client.channel<number>('room').subscribe((m) => void got.push(m.data));
    client.connect();
    pub.connect();
    await waitFor(() => client.channel('room').getSnapshot().state === 'subscribed' && pub.state === 'open', 'both open, subscribed');
    const auths = () => server.stats().framesIn.auth ?? 0;
    let n = 0;
    for (let s = 1; s <= 180; s++) {
      clock.advance(1000);
      // Let a renewal asked for in this step reach the server before time goes on (both
      // clients renew: their auth frames are what moves the server's 4101 away).
      const asked = reasons.filter((r) => r === 'refresh').length;
      await waitFor(() => auths() >= asked, `auth #${asked} at ${s} s`);
      if (s % 20 === 0) {
        await pub.channel<number>('room').publish(++n);
        await waitFor(() => got.length === n, `message ${n}`);
      }
    }
    expect(states.filter((s) => s.to === 'closed')).toEqual([]);
    expect(client.stats().reconnects).toBe(0);
    expect(reasons.filter((r) => r === 'refresh').length).toBeGreaterThanOrEqual(6); // 3 lifetimes × 2 clients
    expect(got).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
  });
});
