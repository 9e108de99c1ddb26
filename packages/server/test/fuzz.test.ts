import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';
import { TestClient } from './helpers/wsClient';

let server: LifelineServer;
afterEach(async () => {
  await server?.close();
});

const TYPES = ['hello', 'sub', 'unsub', 'pub', 'presence.enter', 'presence.leave', 'ping', 'pong', 'msg', 'welcome', '', 'x'];
const channel = fc.oneof(fc.constantFrom('room:1', 'room:2', 'a'), fc.string({ maxLength: 12 }));
const field = fc.oneof(fc.anything({ maxDepth: 2 }), fc.integer(), fc.constant(undefined), fc.constant(null));
/** Well-formed requests with random values: they reach the handlers (subscribe, publish, presence). */
const validish = fc
  .record({
    type: fc.constantFrom('sub', 'unsub', 'pub', 'presence.enter', 'presence.leave', 'ping'),
    ref: fc.nat(1000),
    channel: fc.constantFrom('room:1', 'room:2', 'room:3', 'b'),
    data: fc.jsonValue({ maxDepth: 2 }),
    id: fc.string({ minLength: 1, maxLength: 8 }),
    info: fc.jsonValue({ maxDepth: 1 }),
    since: fc.record({ offset: fc.nat(30), epoch: fc.constantFrom('e_x', 'e_y') }),
  })
  .map((o) => JSON.stringify(o));

/** Frames that are almost right, plus plain garbage: what a buggy or hostile client sends. */
const frame = fc.oneof(
  { arbitrary: validish, weight: 4 },
  fc.record(
    {
      type: fc.constantFrom(...TYPES),
      ref: fc.oneof(fc.nat(50), field),
      channel: fc.oneof(channel, field),
      data: field,
      id: fc.oneof(fc.string({ maxLength: 20 }), field),
      since: fc.oneof(fc.record({ offset: fc.oneof(fc.integer({ min: -2, max: 20 }), field), epoch: fc.oneof(fc.string(), field) }), field),
      info: field,
      v: fc.oneof(fc.constant(1), field),
      t: field,
    },
    { requiredKeys: ['type'] },
  ).map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

describe('fuzz', () => {
  it('thousands of random frames (seeded) never crash the server; a well-behaved client is still served', async () => {
    server = await createServer({ maxFrameBytes: 4096, publishPerSec: 1e6, publishBurst: 1e6 });
    const good = await TestClient.connect(server.url, { clientId: 'good' });
    await good.subscribe('room:1');
    const frames = fc.sample(frame, { seed: 20_261_122, numRuns: 4000 });
    let sent = 0;
    let sockets = 0;
    while (sent < frames.length) {
      // half the sockets start with a valid hello so frames reach the post-handshake paths
      const c = await TestClient.open(`${server.url}/v1`);
      sockets++;
      if (sockets % 2 === 0) c.send({ type: 'hello', v: 1, clientId: `fuzz-${sockets}` });
      for (let i = 0; i < 120 && sent < frames.length && c.ws.readyState === c.ws.OPEN; i++) c.ws.send(frames[sent++]!);
      // let the server answer (or close) before moving on
      const t = Math.random();
      if (c.ws.readyState === c.ws.OPEN) c.send({ type: 'ping', t });
      await Promise.race([c.next('pong', (f) => f.t === t).catch(() => undefined), c.waitClosed().catch(() => undefined)]);
      c.close();
    }
    expect(sent).toBe(4000);
    const st = server.stats();
    // the fuzz must reach the request handlers, not only the parser
    expect(st.framesOut.subscribed ?? 0).toBeGreaterThan(100);
    expect(st.framesOut.ack ?? 0).toBeGreaterThan(100);
    expect(st.framesOut['presence.ok'] ?? 0).toBeGreaterThan(50);
    expect(good.closed).toBeUndefined();
    const ack = await good.publish('room:1', { after: 'fuzz' }, 'after-fuzz');
    expect(ack.type).toBe('ack');
    await good.next('msg', (m) => m.id === 'after-fuzz');
    const fresh = await TestClient.connect(server.url);
    expect(await fresh.subscribe('room:1', { offset: ack.offset - 1, epoch: ack.epoch })).toMatchObject({ recovered: true, replay: 1 });
    fresh.close();
    good.close();
  }, 60_000);

  it('random HTTP publish bodies (seeded) each get 200, 400 or 413 with a JSON error, never a 5xx or a hang', async () => {
    server = await createServer({ maxFrameBytes: 2048, httpPublishPerSec: 1e6, httpPublishBurst: 1e6 }); // 300 requests from one address
    const body = fc.oneof(
      fc.record({ channel: fc.oneof(fc.constantFrom('room:1', 'x'), fc.string({ maxLength: 10 }), fc.anything()), data: fc.anything(), id: fc.anything() }, { requiredKeys: [] }).map((o) => JSON.stringify(o) ?? 'null'),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 3000 }),
    );
    const bodies = fc.sample(body, { seed: 7_301, numRuns: 300 });
    const statuses = new Map<number, number>();
    for (const b of bodies) {
      const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const json = (await res.json()) as Record<string, unknown>;
      expect([200, 400, 413]).toContain(res.status);
      if (res.status !== 200) expect(typeof json.code).toBe('string');
      else expect(typeof json.offset).toBe('number');
    }
    expect(statuses.get(400)).toBeGreaterThan(0);
  }, 60_000);
});
