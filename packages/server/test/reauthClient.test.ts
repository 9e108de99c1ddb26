// The reference client against the reference server with short-lived tokens: the client
// renews its token in band (`auth`) before each expiry, so one connection outlives many
// tokens (before, the server closed it 4101 at every token's exp and the client
// reconnected and replayed). Real sockets on port 0; both sides on one manual clock.
import { describe, expect, it } from 'vitest';
import { createClient, type StateChange, type TokenContext } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer, signToken } from '../src/index';
import { closedAfterEach, T0 } from './helpers/coreClients';
import { waitFor } from './helpers/waitFor';

const SECRET = 'reauth-client-secret';
const { cores, servers } = closedAfterEach();

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

  it('setToken() 11 times in a row while open, each sent: past the server auth burst of 10 the newest is refused RATE_LIMITED, and the client sends it again after the hint on the same connection; no reconnect, no message lost', async () => {
    const clock = createManualClock(T0);
    const server = await createServer({ port: 0, authSecret: SECRET, clock, heartbeatMs: 3_600_000 });
    servers.push(server);
    const exp = (s: number) => Math.floor(clock.now() / 1000) + s;
    const client = createClient({ url: `${server.url}/v1`, clock, lifecycle: false, token: signToken({ sub: 'ada', exp: exp(60) }, SECRET) });
    const pub = createClient({ url: `${server.url}/v1`, clock, lifecycle: false, token: signToken({ sub: 'pub', exp: exp(3600) }, SECRET) });
    cores.push(client, pub);
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.code} ${e.serverCode} ${e.retryAfterMs}`));
    const got: number[] = [];
    client.channel<number>('room').subscribe((m) => void got.push(m.data));
    client.connect();
    pub.connect();
    await waitFor(() => client.channel('room').getSnapshot().state === 'subscribed' && pub.state === 'open', 'both open, subscribed');
    await pub.channel<number>('room').publish(1);
    // Each a distinct token (exp 61 s ... 71 s), each sent before the next is set (set in one
    // go, the client sends only the last); the last, refused, is the one the client must end on.
    const auths = () => server.stats().framesIn.auth ?? 0;
    for (let i = 1; i <= 11; i++) {
      client.setToken(signToken({ sub: 'ada', exp: exp(60 + i) }, SECRET));
      await waitFor(() => auths() >= i, `auth ${i}`);
    }
    await waitFor(() => errors.length > 0, 'the refusal');
    expect(errors).toEqual(['SERVER_ERROR RATE_LIMITED 1000']);
    expect(client.state).toBe('open');
    clock.advance(1000); // the hint; the periodic check then sends the newest token again
    await waitFor(() => auths() === 12, 'the newest token sent again');
    await pub.channel<number>('room').publish(2);
    await waitFor(() => got.length === 2, 'both messages');
    expect(errors).toHaveLength(1);
    expect(got).toEqual([1, 2]);
    // The connection lives on the newest token (exp 71 s), not the first (60 s) nor the
    // last one accepted in band (70 s).
    clock.advance(T0 + 70_500 - clock.now());
    await pub.channel<number>('room').publish(3);
    await waitFor(() => got.length === 3, 'third message');
    expect(client.stats().reconnects).toBe(0);
  });
});
