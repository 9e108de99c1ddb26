import { signToken } from '@lifeline/server';
import type { GapEvent, Message, PublishResult, StateChange, TokenContext } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, NodeWS, waitFor } from './helpers';

const t = useReferenceServer();

describe('core against the reference server', () => {
  it('kill all sockets mid-stream while a publisher publishes: zero loss, zero duplicates, in order', async () => {
    const server = await t.start({ faults: true });
    const url = `${server.url}/v1`;
    const sub = t.client(url);
    const pub = t.client(url);
    const got: Message<number>[] = [];
    const ch = sub.channel<number>('stream');
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed');

    const N = 400;
    const results: Array<Promise<PublishResult>> = [];
    let acked = 0;
    for (let i = 0; i < N; i++) {
      results.push(pub.publish('stream', i).then((r) => (acked++, r)));
      if (i % 100 === 50) {
        // both sides connected again, and the stream flowing, before the next drop
        await waitFor(() => acked >= i - 40 && sub.state === 'open' && pub.state === 'open', `ready for drop ${i}`);
        server.faults!.dropAll();
      }
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const done = await Promise.all(results);
    await waitFor(() => got.length >= N, `all ${N} messages (have ${got.length})`);
    await new Promise((r) => setTimeout(r, 50)); // anything extra would show up now
    expect(got.map((m) => m.data)).toEqual([...Array(N).keys()]);
    const offsets = got.map((m) => m.offset);
    expect(new Set(offsets).size).toBe(N);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(done.map((r) => r.offset)).size).toBe(N);
    expect(sub.stats().reconnects).toBeGreaterThanOrEqual(3);
    expect(pub.stats().reconnects).toBeGreaterThanOrEqual(3);
    expect(sub.stats().gaps).toBe(0);
  });

  it('server restart with the memory broker: one explicit gap, then the new epoch streams', async () => {
    const server = await t.start({ faults: true });
    const url = `${server.url}/v1`;
    const sub = t.client(url);
    const pub = t.client(url);
    const ch = sub.channel<string>('room');
    const got: Message<string>[] = [];
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed');
    for (const s of ['a', 'b', 'c']) await pub.publish('room', s);
    await waitFor(() => got.length === 3, 'first three');
    const before = ch.position!;
    await server.faults!.restart();
    await waitFor(() => gaps.length > 0, 'gap');
    await waitFor(() => ch.getSnapshot().state === 'subscribed' && pub.state === 'open', 'back');
    await pub.publish('room', 'd');
    await waitFor(() => got.length === 4, 'fourth');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ channel: 'room', from: before, reason: 'epoch-changed' });
    expect(gaps[0]!.to.epoch).not.toBe(before.epoch);
    expect(got[3]).toMatchObject({ data: 'd', epoch: gaps[0]!.to.epoch, offset: 1 });
  });

  it('idempotent re-publish after a lost ack: stored once, acked again with the original offset', async () => {
    const server = await t.start({ faults: true });
    const url = `${server.url}/v1`;
    let dropAcks = true;
    // A real socket whose first connection loses every ack on the way in.
    // (At the emitter: whichever way the client listens, `on` or `onmessage`, it goes through here.)
    class LosesAcks extends NodeWS {
      override emit(event: string | symbol, ...args: any[]): boolean {
        if (event === 'message' && dropAcks && String(args[0]).includes('"type":"ack"')) return false;
        return super.emit(event, ...args);
      }
    }
    const sub = t.client(url);
    const pub = t.client(url, { WebSocket: LosesAcks as any });
    const got: Message[] = [];
    const ch = sub.channel('orders');
    ch.subscribe((m) => void got.push(m));
    await waitFor(() => ch.getSnapshot().state === 'subscribed' && pub.state === 'open', 'ready');
    let result: PublishResult | null = null;
    void pub.publish('orders', { n: 1 }, { id: 'order-1' }).then((r) => (result = r));
    await waitFor(() => got.length === 1, 'stored and delivered');
    expect(result).toBeNull(); // its ack was lost
    dropAcks = false;
    server.faults!.dropAll();
    await waitFor(() => result !== null, 'ack after re-send');
    expect(result).toEqual({ offset: got[0]!.offset, epoch: got[0]!.epoch, duplicate: true });
    await pub.publish('orders', { n: 2 });
    await waitFor(() => got.length === 2, 'next message');
    expect(got.map((m) => m.id)).toEqual(['order-1', expect.any(String)]);
  });

  it('token refresh: an expired token (4101) is refreshed and retried within the first delay; a bad static token stops', async () => {
    const secret = 'integration-secret';
    const server = await t.start({ authSecret: secret });
    const url = `${server.url}/v1`;
    const reasons: TokenContext['reason'][] = [];
    const states: StateChange[] = [];
    const c = t.client(url, {
      reconnect: { initialDelayMs: 5000 },
      random: () => 0.01, // the 4101 retry: at 1 % of the first delay (50 ms)
      token: async (ctx) => {
        reasons.push(ctx.reason);
        const exp = Math.floor(Date.now() / 1000) + (reasons.length === 1 ? -60 : 3600);
        return signToken({ sub: 'ada', exp }, secret);
      },
    });
    c.on('state', (s) => states.push(s));
    await waitFor(() => c.state === 'open', 'open after refresh', 10_000);
    expect(reasons).toEqual(['connect', 'expired']);
    expect(states.find((s) => s.closeCode === 4101)).toMatchObject({ to: 'closed', retryInMs: 50 });

    const bad = t.client(url, { token: 'not-a-jwt' });
    const badStates: StateChange[] = [];
    bad.on('state', (s) => badStates.push(s));
    await waitFor(() => bad.getSnapshot().reason === 'auth-failed', 'auth-failed');
    expect(badStates.at(-1)).toMatchObject({ to: 'closed', retryInMs: null, closeCode: 4100 });
    bad.setToken(signToken({ sub: 'bob' }, secret));
    await waitFor(() => bad.state === 'open', 'open with the new token');
  });

  it('drain: the fleet spreads its first attempts over the announced reconnect window, each client inside it', async () => {
    const server = await t.start({ maxHandshakesPerSec: 4 });
    const url = `${server.url}/v1`;
    const spreads: number[] = [];
    const n = 10;
    for (let i = 0; i < n; i++) {
      const c = t.client(url, { random: seededFor(i) });
      c.on('state', (s) => s.reason === 'drain' && spreads.push(s.retryInMs!));
    }
    await waitFor(() => t.clients.every((c) => c.state === 'open'), 'all open', 20_000);
    const draining = server.drain({ timeoutMs: 5000 });
    await waitFor(() => spreads.length === n, 'every client scheduled its drain retry');
    await draining;
    const windowMs = Math.max(1000, Math.ceil(((1.2 * n) / 4) * 1000)); // 3000, as the server computes it
    for (const d of spreads) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(windowMs);
    }
    // spread, not a stampede: the attempts cover most of the window
    expect(Math.max(...spreads) - Math.min(...spreads)).toBeGreaterThan(windowMs / 2);
  });

  it('an HTTP 503 admission refusal is read through ws and its x-retry-after-ms honoured', async () => {
    const server = await t.start({ maxHandshakesPerSec: 1 });
    const url = `${server.url}/v1`;
    const refused: StateChange[] = [];
    for (let i = 0; i < 4; i++) {
      const c = t.client(url, { reconnect: { initialDelayMs: 10, jitter: 'none' } });
      c.on('state', (s) => s.to === 'closed' && s.closeReason === 'http 503' && refused.push(s));
    }
    await waitFor(() => refused.length > 0, 'a refusal');
    // backoff alone would say 10 ms (jitter none); the server's hint is 1 s-scale
    expect(refused[0]!.retryInMs).toBeGreaterThanOrEqual(100);
    expect(server.stats().handshakesRefused).toBeGreaterThan(0);
  });
});

function seededFor(i: number): () => number {
  let s = (i + 1) * 7919;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}
