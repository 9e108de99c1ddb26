// GET /metrics (operators asked for Prometheus): the counters of `server.stats()` in the
// text exposition format 0.0.4, read over real HTTP from a real server. Label values come
// from fixed lists, so no client can add series by sending frames of made-up types.
import { describe, expect, it } from 'vitest';
import { createServer, memoryBroker, signToken, type Broker } from '../src/index';
import { escapeLabelValue, FRAME_IN_TYPES, FRAME_OUT_TYPES, METRICS_BROKER_TIMEOUT_MS, renderMetrics } from '../src/metrics';
import { parseExposition } from './helpers/exposition';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();
const rawOf = (c: { ws: unknown }) => (c.ws as { _socket: { pause(): void; resume(): void } })._socket;

async function scrape(httpUrl: string) {
  const res = await fetch(`${httpUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

const FAMILIES: Record<string, string> = {
  lifeline_connections: 'gauge',
  lifeline_handshakes_accepted_total: 'counter',
  lifeline_handshakes_refused_total: 'counter',
  lifeline_frames_in_total: 'counter',
  lifeline_frames_out_total: 'counter',
  lifeline_channels: 'gauge',
  lifeline_presence_pending: 'gauge',
  lifeline_replay_bytes: 'gauge',
  lifeline_replay_held_bytes: 'gauge',
  lifeline_replay_waiting: 'gauge',
  lifeline_replay_evictions_total: 'counter',
  lifeline_accept_errors_total: 'counter',
  lifeline_forbidden_total: 'counter',
  lifeline_draining: 'gauge',
  lifeline_broker_available: 'gauge',
};

describe('GET /metrics', () => {
  it('a fresh server: every family with HELP and TYPE, the fixed frame types at 0, broker available, not draining', async () => {
    const server = await start();
    const m = await scrape(server.httpUrl);
    expect(Object.fromEntries(m.types)).toEqual(FAMILIES);
    for (const name of Object.keys(FAMILIES)) expect(m.help.get(name)).toBeTruthy();
    expect(m.value('lifeline_connections')).toBe(0);
    expect(m.value('lifeline_handshakes_accepted_total')).toBe(0);
    expect(m.value('lifeline_channels')).toBe(0);
    expect(m.value('lifeline_draining')).toBe(0);
    expect(m.value('lifeline_broker_available')).toBe(1);
    expect(m.labelValues('lifeline_frames_in_total', 'type').sort()).toEqual([...FRAME_IN_TYPES, 'other'].sort());
    expect(m.labelValues('lifeline_frames_out_total', 'type').sort()).toEqual([...FRAME_OUT_TYPES, 'other'].sort());
    expect(m.samples.filter((s) => s.name.startsWith('lifeline_frames_')).every((s) => s.value === 0)).toBe(true);
  });

  it('values move with traffic: one client connects, subscribes and publishes; then leaves', async () => {
    const server = await start();
    const c = await connect();
    expect(await c.subscribe('room:1')).toMatchObject({ type: 'subscribed' });
    expect(await c.publish('room:1', 'hi', 'p-1')).toMatchObject({ type: 'ack' });
    await c.next('msg');
    const m = await scrape(server.httpUrl);
    expect(m.value('lifeline_connections')).toBe(1);
    expect(m.value('lifeline_handshakes_accepted_total')).toBe(1);
    expect(m.value('lifeline_handshakes_refused_total')).toBe(0);
    expect(m.value('lifeline_channels')).toBe(1);
    expect(m.value('lifeline_frames_in_total', { type: 'hello' })).toBe(1);
    expect(m.value('lifeline_frames_in_total', { type: 'sub' })).toBe(1);
    expect(m.value('lifeline_frames_in_total', { type: 'pub' })).toBe(1);
    expect(m.value('lifeline_frames_out_total', { type: 'welcome' })).toBe(1);
    expect(m.value('lifeline_frames_out_total', { type: 'subscribed' })).toBe(1);
    expect(m.value('lifeline_frames_out_total', { type: 'ack' })).toBe(1);
    expect(m.value('lifeline_frames_out_total', { type: 'msg' })).toBe(1);
    // The same numbers as the library's own counters.
    const st = server.stats();
    expect(m.value('lifeline_frames_in_total', { type: 'sub' })).toBe(st.framesIn.sub);
    c.close();
    await waitFor(() => server.stats().connections === 0 && server.stats().channels === 0, 'the client to be gone');
    const after = await scrape(server.httpUrl);
    expect(after.value('lifeline_connections')).toBe(0);
    expect(after.value('lifeline_channels')).toBe(0);
    expect(after.value('lifeline_frames_in_total', { type: 'pub' })).toBe(1); // counters do not go back
  });

  it("the server's heartbeat pings are counted under type ping, not other (every frame the server sends has its label)", async () => {
    const clock = new FakeClock();
    const server = await start({ clock, heartbeatMs: 1000 });
    const c = await connect();
    clock.advance(1000);
    await c.next('ping');
    const m = await scrape(server.httpUrl);
    expect(m.value('lifeline_frames_out_total', { type: 'ping' })).toBe(server.stats().framesOut.ping);
    expect(m.value('lifeline_frames_out_total', { type: 'ping' })).toBeGreaterThanOrEqual(1);
    expect(m.value('lifeline_frames_out_total', { type: 'other' })).toBe(0);
  });

  it('FORBIDDEN is counted on both transports: a /v1 pub, sub or enter the token does not allow, and POST /v1/publish or GET /v1/history answered 403', async () => {
    const secret = 'metrics-forbidden-secret-0123456789abcdef';
    const server = await start({ authSecret: secret });
    const token = signToken({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600, publish: ['room:*'], subscribe: ['room:*'] }, secret);
    const fresh = await scrape(server.httpUrl);
    expect(fresh.value('lifeline_forbidden_total', { via: 'ws' })).toBe(0);
    expect(fresh.value('lifeline_forbidden_total', { via: 'http' })).toBe(0);

    const c = await connect({ token });
    expect(await c.request({ type: 'pub', channel: 'secret:1', data: 1, id: 'p1' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.request({ type: 'sub', channel: 'secret:1' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await c.request({ type: 'presence.enter', channel: 'secret:1' })).toMatchObject({ code: 'FORBIDDEN' });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const pub = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: auth, body: JSON.stringify({ channel: 'secret:1', data: 1 }) });
    expect(pub.status).toBe(403);
    expect(await pub.json()).toMatchObject({ code: 'FORBIDDEN' });
    const read = await fetch(`${server.httpUrl}/v1/history?channel=secret:1`, { headers: auth });
    expect(read.status).toBe(403);
    await read.arrayBuffer();
    // Allowed ones are not counted.
    expect((await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: auth, body: JSON.stringify({ channel: 'room:1', data: 1 }) })).status).toBe(200);

    expect(server.stats().forbidden).toEqual({ ws: 3, http: 2 });
    const m = await scrape(server.httpUrl);
    expect(m.value('lifeline_forbidden_total', { via: 'ws' })).toBe(3);
    expect(m.value('lifeline_forbidden_total', { via: 'http' })).toBe(2);
    expect(m.value('lifeline_frames_out_total', { type: 'error' })).toBe(3); // the /v1 ones are error frames too
  });

  it('frames of made-up types add no label value: they are counted as invalid', async () => {
    const server = await start();
    const c = await connect();
    const junk = ['evil"\n\\', 'x'.repeat(5000), 'sub ', 'SUB', '__proto__', 'constructor', 'é😀', '', 'other', 'msg'];
    for (const type of junk) c.send({ type, ref: 1, channel: 'room:1' });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => server.stats().framesIn.invalid === junk.length, 'the junk frames to be counted');
    await waitFor(() => server.stats().framesIn.binary === 1, 'the binary frame to be counted');
    // stats() itself keeps no key from the junk either.
    expect(Object.keys(server.stats().framesIn).sort()).toEqual(['binary', 'hello', 'invalid']);
    const m = await scrape(server.httpUrl);
    expect(m.labelValues('lifeline_frames_in_total', 'type').sort()).toEqual([...FRAME_IN_TYPES, 'other'].sort());
    expect(m.value('lifeline_frames_in_total', { type: 'invalid' })).toBe(junk.length);
    expect(m.value('lifeline_frames_in_total', { type: 'binary' })).toBe(1);
    expect(m.value('lifeline_frames_in_total', { type: 'other' })).toBe(0);
    expect(c.closed).toBeUndefined(); // fewer than the abuse limit: still served
  });

  it('a type outside the fixed lists (should stats() ever count one) is summed under other, never a label of its own', () => {
    const stats = {
      connections: 0, handshakesAccepted: 0, handshakesRefused: 0, channels: 0, presencePending: 0, replayBytes: 0, replayHeldBytes: 0, replayWaiting: 0, replayEvictions: 0, acceptErrors: 0, forbidden: { ws: 0, http: 0 },
      framesIn: { sub: 2, 'evil"}\n\\': 3, zzz: 4 },
      framesOut: { msg: 1, 'x\\y': 5 },
    };
    const m = parseExposition(renderMetrics(stats, { draining: false, brokerAvailable: true }));
    expect(m.labelValues('lifeline_frames_in_total', 'type').sort()).toEqual([...FRAME_IN_TYPES, 'other'].sort());
    expect(m.value('lifeline_frames_in_total', { type: 'other' })).toBe(7);
    expect(m.value('lifeline_frames_in_total', { type: 'sub' })).toBe(2);
    expect(m.value('lifeline_frames_out_total', { type: 'other' })).toBe(5);
  });

  it('label values are escaped as the format wants: backslash, double quote, newline', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('presence.ok')).toBe('presence.ok');
    // What the escaper writes, a strict reader reads back as the value it was.
    for (const raw of ['a\\b"c\nd', '\\"', '\\n', 'end\\', '"', '\n\n']) {
      const m = parseExposition(`# TYPE t counter\nt{type="${escapeLabelValue(raw)}"} 1\n`);
      expect(m.labelValues('t', 'type')).toEqual([raw]);
    }
  });

  it('HEAD answers 200 with the headers and no body', async () => {
    const server = await start();
    const res = await fetch(`${server.httpUrl}/metrics`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
  });

  it('POST/PUT/DELETE are 405 with Allow: GET, HEAD', async () => {
    const server = await start();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${server.httpUrl}/metrics`, { method, body: method === 'DELETE' ? undefined : '{}' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.json()).toMatchObject({ code: 'BAD_FRAME' });
    }
  });

  it('metrics: false answers 404 like any unknown path, whatever the method', async () => {
    const server = await start({ metrics: false });
    for (const method of ['GET', 'HEAD', 'POST']) {
      const res = await fetch(`${server.httpUrl}/metrics`, { method });
      expect(res.status).toBe(404);
      if (method !== 'HEAD') expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'no route /metrics' });
    }
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  });

  it('needs no token on a server with a secret (like /healthz)', async () => {
    const server = await start({ authSecret: 'x'.repeat(32) });
    expect((await scrape(server.httpUrl)).value('lifeline_connections')).toBe(0);
  });

  it('lifeline_draining turns 1 once a drain begins', async () => {
    const server = await start();
    const straggler = await connect();
    rawOf(straggler).pause(); // keeps the drain going until its deadline
    const draining = server.drain({ timeoutMs: 1000 });
    const m = await scrape(server.httpUrl);
    expect(m.value('lifeline_draining')).toBe(1);
    rawOf(straggler).resume();
    await draining;
  });

  it('lifeline_broker_available is 0 when the broker does not answer its health check', async () => {
    const broker = memoryBroker();
    const server = await start({ broker });
    expect((await scrape(server.httpUrl)).value('lifeline_broker_available')).toBe(1);
    await broker.close();
    expect((await scrape(server.httpUrl)).value('lifeline_broker_available')).toBe(0);
  });

  it('a stalled broker does not hold the scrape: it answers 0 after the 2 s bound (server clock), not never', async () => {
    const inner = memoryBroker();
    let checks = 0;
    const broker: Broker = Object.assign(Object.create(inner) as Broker, {
      healthy: () => {
        checks += 1;
        return new Promise<boolean>(() => undefined); // never answers
      },
    });
    const clock = new FakeClock();
    const server = await start({ broker, clock });
    let answered = false;
    const scraped = fetch(`${server.httpUrl}/metrics`).then(async (res) => {
      answered = true;
      return { status: res.status, text: await res.text() };
    });
    await waitFor(() => checks === 1, 'the health check to start');
    clock.advance(METRICS_BROKER_TIMEOUT_MS - 1);
    await new Promise((r) => setTimeout(r, 50)); // ordering only: a wrong early answer would have arrived
    expect(answered).toBe(false);
    clock.advance(1);
    const { status, text } = await scraped;
    expect(status).toBe(200);
    expect(parseExposition(text).value('lifeline_broker_available')).toBe(0);
    await inner.close();
  });
});

describe('metrics option', () => {
  it.each(['yes', 1, null])('metrics %s rejects with a TypeError naming it', async (metrics) => {
    await expect(createServer({ metrics: metrics as unknown as boolean })).rejects.toThrow(new TypeError(`createServer: metrics must be a boolean, got ${String(metrics)}`));
  });
});
