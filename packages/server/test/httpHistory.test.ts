// GET /v1/history: the last `limit` retained messages of a channel and the position to
// resume from (PROTOCOL.md §9.1), on the memory and the Redis broker; its auth, origin
// check, rate bucket and errors; and its answer staying one consistent snapshot when the
// log moves between the broker calls it makes.
import { connect as connectTcp } from 'node:net';
import { describe, expect, it } from 'vitest';
import { memoryBroker, signToken, type Broker, type LifelineServer } from '../src/index';
import { HISTORY_ATTEMPTS, HISTORY_PER_CALLER, MAX_HISTORY_BYTES, readHistory, type HistoryAnswer } from '../src/historyRoute';
import { InFlight } from '../src/inFlight';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';

const SECRET = 'history-secret';
const { available: redisUp, start, openBroker } = await useRedisServer();

const history = (server: LifelineServer, query: string, init: RequestInit = {}) =>
  fetch(`${server.httpUrl}/v1/history${query}`, init);
const historyOf = async (server: LifelineServer, query: string, init: RequestInit = {}): Promise<HistoryAnswer> => {
  const res = await history(server, query, init);
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryAnswer;
};
const publish = async (server: LifelineServer, channel: string, data: unknown, headers: Record<string, string> = {}, id?: string) => {
  const res = await fetch(`${server.httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(id === undefined ? { channel, data } : { channel, data, id }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { offset: number; epoch: string };
};
const offsets = (a: HistoryAnswer) => a.messages.map((m) => m.offset);
const bearer = (claims: Record<string, unknown>) => ({
  authorization: `Bearer ${signToken({ sub: 'reader', exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, SECRET)}`,
});

let n = 0;
const chan = (name: string) => `${name}.${++n}`;

const brokerKinds: { name: string; make: (retention: number) => Broker | undefined }[] = [
  { name: 'memory broker', make: () => undefined },
  ...(redisUp
    ? [{
        name: 'redis broker',
        make: (retention: number) => openBroker({ retention }),
      }]
    : []),
];

describe.each(brokerKinds)('GET /v1/history ($name)', ({ make }) => {
  const startWith = (retention: number) => {
    const broker = make(retention);
    return start(broker ? { broker } : { retention });
  };

  it('answers the last `limit` messages ascending with their fields, and `offset` = the last one returned', async () => {
    const server = await startWith(1000);
    const ch = chan('room');
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await publish(server, ch, { i }, {}, i === 2 ? undefined : `p${i}`)).epoch;
    const before = Date.now();
    const last3 = await historyOf(server, `?channel=${ch}&limit=3`);
    expect(last3).toEqual({ channel: ch, epoch, offset: 5, messages: expect.any(Array) });
    expect(offsets(last3)).toEqual([3, 4, 5]);
    expect(last3.messages[0]).toEqual({ offset: 3, epoch, data: { i: 3 }, id: 'p3', ts: expect.any(Number) });
    expect(last3.messages[0]!.ts).toBeLessThanOrEqual(before);
    // A message published without an id has none in the answer (as in a `msg` frame).
    expect(Object.keys((await historyOf(server, `?channel=${ch}&limit=4`)).messages[0]!)).toEqual(['offset', 'epoch', 'data', 'ts']);
    // No limit: 100 by default, so all 5 here.
    expect(offsets(await historyOf(server, `?channel=${ch}`))).toEqual([1, 2, 3, 4, 5]);
  });

  it('limit 0: no messages, `offset` the head; a limit above what is retained: all of it, `offset` the head', async () => {
    const server = await startWith(1000);
    const ch = chan('zero');
    const { epoch } = (await publish(server, ch, 'a'), await publish(server, ch, 'b'));
    expect(await historyOf(server, `?channel=${ch}&limit=0`)).toEqual({ channel: ch, epoch, offset: 2, messages: [] });
    const all = await historyOf(server, `?channel=${ch}&limit=200`);
    expect(all).toMatchObject({ epoch, offset: 2 });
    expect(all.messages.map((m) => m.data)).toEqual(['a', 'b']);
  });

  it('a channel never published on: no messages, offset 0, the epoch its first publish then gets', async () => {
    const server = await startWith(1000);
    const ch = chan('unused');
    const empty = await historyOf(server, `?channel=${ch}&limit=10`);
    expect(empty).toEqual({ channel: ch, epoch: expect.any(String), offset: 0, messages: [] });
    expect((await historyOf(server, `?channel=${ch}&limit=0`)).epoch).toBe(empty.epoch);
    // A subscriber given {offset: 0, epoch} continues without a gap: the first publish is in that epoch.
    expect(await publish(server, ch, 'first')).toEqual({ offset: 1, epoch: empty.epoch });
  });

  it('after trimming: only retained messages, the window ending at the head', async () => {
    const server = await startWith(5);
    const ch = chan('trim');
    for (let i = 1; i <= 12; i++) await publish(server, ch, i);
    const all = await historyOf(server, `?channel=${ch}&limit=100`);
    expect(offsets(all)).toEqual([8, 9, 10, 11, 12]);
    expect(all.offset).toBe(12);
    expect(offsets(await historyOf(server, `?channel=${ch}&limit=3`))).toEqual([10, 11, 12]);
  });
});

describe('GET /v1/history: requests', () => {
  it('the memory broker keeps no state for a channel only read (a GET creates nothing)', async () => {
    const broker = memoryBroker();
    const server = await start({ broker });
    await historyOf(server, '?channel=nobody.here&limit=5');
    await historyOf(server, '?channel=nobody.there&limit=0');
    expect(broker.channelCount()).toBe(0);
    await broker.close();
  });

  it('bad parameters: 400 BAD_FIELD; limit 0 and 200 (one replay page) are fine', async () => {
    const server = await start();
    const bad = [
      '', '?limit=5', '?channel=', '?channel=has%20space', `?channel=${'x'.repeat(201)}`, '?channel=a&channel=b',
      '?channel=a&limit=-1', '?channel=a&limit=201', '?channel=a&limit=1.5', '?channel=a&limit=abc', '?channel=a&limit=',
      '?channel=a&limit=%201', '?channel=a&limit=1e2', '?channel=a&limit=0x10', '?channel=a&limit=1&limit=2',
      '?channel=a&limit=99999999999999999999',
      // A query is form-encoded: a bare `+` is a space. Channel names with `+` are sent as %2B.
      '?channel=a+b',
    ];
    for (const q of bad) {
      const res = await history(server, q);
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(await res.json()).toMatchObject({ code: 'BAD_FIELD' });
    }
    for (const q of ['?channel=a&limit=0', '?channel=a&limit=200', '?channel=a&limit=007', `?channel=${encodeURIComponent('room:1/x@y=z+w.v-_')}`]) {
      expect({ q, status: (await history(server, q)).status }).toEqual({ q, status: 200 });
    }
  });

  it('a method other than GET or HEAD: 405 BAD_FRAME; HEAD: the headers of the GET, no body', async () => {
    const server = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await history(server, '?channel=a', { method });
      expect({ method, status: res.status }).toEqual({ method, status: 405 });
      expect(await res.json()).toMatchObject({ code: 'BAD_FRAME' });
      expect(res.headers.get('allow')).toBe('GET, HEAD'); // RFC 9110 §15.5.6
    }
    const head = await history(server, '?channel=a', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(await head.text()).toBe('');
  });

  it('with a secret: 401 without or with a bad token (WWW-Authenticate), TOKEN_EXPIRED when expired; 403 when the token does not allow subscribe', async () => {
    const server = await start({ authSecret: SECRET });
    const q = '?channel=room:1&limit=5';
    const none = await history(server, q);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="lifeline", error="invalid_token"');
    expect(await none.json()).toMatchObject({ code: 'BAD_TOKEN' });
    const forged = await history(server, q, { headers: { authorization: `Bearer ${signToken({ sub: 'x', exp: 4e9 }, 'other')}` } });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ code: 'BAD_TOKEN' });
    const expired = await history(server, q, { headers: bearer({ exp: Math.floor(Date.now() / 1000) - 10 }) });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error_description="token expired"');
    expect(await expired.json()).toMatchObject({ code: 'TOKEN_EXPIRED' });

    const rooms = bearer({ subscribe: ['room:*'], publish: [] });
    expect((await history(server, q, { headers: rooms })).status).toBe(200);
    expect((await history(server, '?channel=room:1', { headers: { authorization: rooms.authorization.replace('Bearer', 'bearer') } })).status).toBe(200);
    const other = await history(server, '?channel=admin:1', { headers: rooms });
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ code: 'FORBIDDEN', message: 'token does not allow subscribe on admin:1' });
    // Reading is subscribing: a publish-only grant does not do, no `subscribe` claim allows all.
    expect((await history(server, q, { headers: bearer({ subscribe: [], publish: ['room:*'] }) })).status).toBe(403);
    expect((await history(server, q, { headers: bearer({ publish: [] }) })).status).toBe(200);
  });

  it('a browser Origin outside allowedOrigins: 403 FORBIDDEN; an allowed one or none: 200', async () => {
    const server = await start({ allowedOrigins: ['https://app.example'] });
    const evil = await history(server, '?channel=a', { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('connection')).toBe('close');
    expect(await evil.json()).toEqual({ code: 'FORBIDDEN', message: 'origin not allowed' });
    expect((await history(server, '?channel=a', { headers: { origin: 'https://app.example' } })).status).toBe(200);
    expect((await history(server, '?channel=a')).status).toBe(200);
  });

  it('rate: a bucket of httpPublishPerSec/httpPublishBurst per caller, separate from its publishes; 429 RATE_LIMITED with Retry-After and x-retry-after-ms', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, authSecret: SECRET, httpPublishPerSec: 1, httpPublishBurst: 2 });
    const exp = Math.floor(clock.now() / 1000) + 3600;
    const ada = { authorization: `Bearer ${signToken({ sub: 'ada', exp }, SECRET)}` };
    const bob = { authorization: `Bearer ${signToken({ sub: 'bob', exp }, SECRET)}` };
    const statuses = async (times: number, fn: () => Promise<Response>) => {
      const out: number[] = [];
      for (let i = 0; i < times; i++) out.push((await fn()).status);
      return out;
    };
    const read = (headers: Record<string, string>) => history(server, '?channel=a&limit=1', { headers });
    expect(await statuses(2, () => read(ada))).toEqual([200, 200]);
    const refused = await read(ada);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-retry-after-ms')).toBe('1000');
    expect(await refused.json()).toEqual({ code: 'RATE_LIMITED', message: 'above 1 history reads/s; retry in 1000 ms' });
    // Its publishes have their own bucket, full; and reads do not take from it.
    const post = () => fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: ada, body: JSON.stringify({ channel: 'a', data: 1 }) });
    expect(await statuses(3, post)).toEqual([200, 200, 429]);
    expect((await read(ada)).status).toBe(429);
    // Another subject has its own.
    expect(await statuses(3, () => read(bob))).toEqual([200, 200, 429]);
    clock.advance(1000);
    expect(await statuses(2, () => read(ada))).toEqual([200, 429]);
  });

  it('open server: the bucket is the remote address\'s', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, httpPublishPerSec: 2, httpPublishBurst: 3 });
    const out: number[] = [];
    for (let i = 0; i < 4; i++) out.push((await history(server, '?channel=a')).status);
    expect(out).toEqual([200, 200, 200, 429]);
  });

  it('broker unavailable: 503 BROKER_UNAVAILABLE with Retry-After; another broker error: 500 INTERNAL, logged', async () => {
    const closed = memoryBroker();
    await closed.close();
    const down = await start({ broker: closed });
    const res = await history(down, '?channel=a');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ code: 'BROKER_UNAVAILABLE', message: 'broker unavailable' });

    const errors: string[] = [];
    const inner = memoryBroker();
    const buggy: Broker = { ...inner, read: () => Promise.reject(new Error('secret internal host 10.0.0.7')) };
    const server = await start({ broker: buggy, logger: { debug() {}, info() {}, warn() {}, error: (m, f) => void errors.push(`${m} ${JSON.stringify(f)}`) } });
    const bug = await history(server, '?channel=a&limit=3');
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ code: 'INTERNAL', message: 'broker error' });
    expect(errors.join()).toContain('10.0.0.7');
    await inner.close();
  });
});

/** A memory broker that runs `between` once, after the next `position()` and before the read that follows it. */
function racing(between: (inner: ReturnType<typeof memoryBroker>) => Promise<void>) {
  const inner = memoryBroker();
  const calls: string[] = [];
  let pending = true;
  const broker: Broker = {
    ...inner,
    async position(channel) {
      calls.push('position');
      const p = await inner.position(channel);
      if (pending) {
        pending = false;
        await between(inner);
      }
      return p;
    },
    async read(channel, after, limit) {
      calls.push(`read(${after},${limit})`);
      return inner.read(channel, after, limit);
    },
  };
  return { inner, broker, calls };
}

/** The answer is one snapshot: one epoch, consecutive offsets, `offset` the last one (or the head of that epoch when none). */
function expectConsistent(a: HistoryAnswer, limit: number) {
  expect(a.messages.length).toBeLessThanOrEqual(limit);
  for (const m of a.messages) expect(m.epoch).toBe(a.epoch);
  const o = offsets(a);
  expect(o).toEqual(o.map((_, i) => o[0]! + i));
  if (o.length) expect(a.offset).toBe(o.at(-1));
}

describe('GET /v1/history: the log moving between the broker calls', () => {
  it('publishes landing between position() and read(): `offset` is the last message returned, never the head seen before (limit above the head)', async () => {
    const { inner, broker } = racing(async (b) => {
      for (let i = 6; i <= 8; i++) await b.publish('race', i);
    });
    for (let i = 1; i <= 5; i++) await inner.publish('race', i);
    const server = await start({ broker });
    const a = await historyOf(server, '?channel=race&limit=10');
    expectConsistent(a, 10);
    // Head 5 was seen first; the read returned up to 8, so resuming after 5 would hand 6..8 twice.
    expect(offsets(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(a.offset).toBe(8);
    await inner.close();
  });

  it('publishes landing between position() and read(), limit below the head: the last `limit` as of the head seen, `offset` that head', async () => {
    const { inner, broker } = racing(async (b) => {
      for (let i = 6; i <= 8; i++) await b.publish('race', i);
    });
    for (let i = 1; i <= 5; i++) await inner.publish('race', i);
    const a = await readHistory(broker, 'race', 3);
    expectConsistent(a, 3);
    expect(offsets(a)).toEqual([3, 4, 5]);
    expect(a.offset).toBe(5); // a subscriber with since 5 gets 6..8: nothing lost, nothing twice
    await inner.close();
  });

  it('the epoch changing between position() and read(): read again from the new head, answer all in the new epoch', async () => {
    const { inner, broker, calls } = racing(async (b) => {
      await b.reset();
      await b.publish('race', 'new-1');
      await b.publish('race', 'new-2');
    });
    for (let i = 1; i <= 5; i++) await inner.publish('race', i);
    const old = await inner.position('race');
    const a = await readHistory(broker, 'race', 3);
    expectConsistent(a, 3);
    expect(a.epoch).not.toBe(old.epoch);
    expect(a.messages.map((m) => m.data)).toEqual(['new-1', 'new-2']);
    expect(a.offset).toBe(2);
    expect(calls).toEqual(['position', 'read(2,3)', 'read(0,3)']);
    await inner.close();
  });

  it('an epoch that keeps changing: at most HISTORY_ATTEMPTS reads, and the last one answered as it is (its epoch, its head)', async () => {
    let reads = 0;
    const stub: Broker = {
      ...memoryBroker(),
      position: async () => ({ offset: 10, epoch: 'e_0' }),
      read: async () => {
        reads++;
        return { epoch: `e_${reads}`, head: 50 + reads, earliest: 1, messages: [] };
      },
    };
    const a = await readHistory(stub, 'spin', 5);
    expect(reads).toBe(HISTORY_ATTEMPTS);
    expect(a).toEqual({ channel: 'spin', epoch: `e_${HISTORY_ATTEMPTS}`, offset: 50 + HISTORY_ATTEMPTS, messages: [] });
  });
});

describe('GET /v1/history: memory an answer may hold', () => {
  it(`the newest messages within ${MAX_HISTORY_BYTES} B of JSON: large ones are dropped from the oldest end, the answer still ends at the head`, async () => {
    const server = await start();
    const big = 'x'.repeat(60_000);
    for (let i = 1; i <= 40; i++) await publish(server, 'big', `${i}:${big}`);
    const a = await historyOf(server, '?channel=big&limit=200');
    const fits = Math.floor(MAX_HISTORY_BYTES / 60_100);
    expect(a.messages.length).toBeGreaterThanOrEqual(fits - 1);
    expect(a.messages.length).toBeLessThanOrEqual(fits);
    expectConsistent(a, 200);
    expect(a.offset).toBe(40);
    expect(JSON.stringify(a.messages).length).toBeLessThanOrEqual(MAX_HISTORY_BYTES);
    // One message above the budget on its own is still answered (the newest always is).
    expect(offsets(await readHistory(await (async () => {
      const b = memoryBroker();
      await b.publish('one', 'y'.repeat(2 * MAX_HISTORY_BYTES));
      return b;
    })(), 'one', 5))).toEqual([1]);
  });

  it(`at most ${HISTORY_PER_CALLER} answers in progress per caller: the next is 429 until one is done; another caller is not held up`, async () => {
    const inner = memoryBroker();
    await inner.publish('slow', 1);
    const waiting: (() => void)[] = [];
    const broker: Broker = { ...inner, read: async (...a) => (await new Promise<void>((r) => waiting.push(r)), inner.read(...a)) };
    const server = await start({ broker, authSecret: SECRET });
    const as = (sub: string) => ({ headers: bearer({ sub }) });
    const pending = Array.from({ length: HISTORY_PER_CALLER }, () => history(server, '?channel=slow', as('ann')));
    while (waiting.length < HISTORY_PER_CALLER) await new Promise((r) => setTimeout(r, 5));
    const refused = await history(server, '?channel=slow', as('ann'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-retry-after-ms')).toBe('1000');
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/in progress/) });
    const other = history(server, '?channel=slow', as('bob'));
    while (waiting.length < HISTORY_PER_CALLER + 1) await new Promise((r) => setTimeout(r, 5));
    for (const go of waiting.splice(0)) go();
    for (const res of [...(await Promise.all(pending)), await other]) expect(res.status).toBe(200);
    // Done and read: the slots are back.
    const again = history(server, '?channel=slow', as('ann'));
    while (waiting.length < 1) await new Promise((r) => setTimeout(r, 5));
    waiting.splice(0)[0]!();
    expect((await again).status).toBe(200);
    await inner.close();
  });
});

describe('GET /v1/history: slots given back', () => {
  it('pipelined reads on one connection dropped while they wait: every slot comes back (an answer queued behind another has no close of its own)', async () => {
    const inner = memoryBroker();
    await inner.publish('slow', 1);
    const waiting: (() => void)[] = [];
    const broker: Broker = { ...inner, read: async (...a) => (await new Promise<void>((r) => waiting.push(r)), inner.read(...a)) };
    const server = await start({ broker });
    const sock = connectTcp(server.port);
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /v1/history?channel=slow HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(HISTORY_PER_CALLER));
    while (waiting.length < HISTORY_PER_CALLER) await new Promise((r) => setTimeout(r, 5));
    sock.destroy();
    await new Promise((r) => setTimeout(r, 50));
    for (const go of waiting.splice(0)) go();
    await new Promise((r) => setTimeout(r, 50));
    // The same caller (same address on an open server) has all its slots again, not 429.
    const again = Array.from({ length: HISTORY_PER_CALLER }, () => history(server, '?channel=slow'));
    await new Promise((r) => setTimeout(r, 50));
    for (const go of waiting.splice(0)) go();
    expect((await Promise.all(again)).map((r) => r.status)).toEqual(again.map(() => 200));
    await inner.close();
  });
});

describe('InFlight', () => {
  it(`holds at most perKey per caller and max in all, and gives slots back`, () => {
    const f = new InFlight(2, 3);
    expect([f.enter('a'), f.enter('a'), f.enter('a')]).toEqual([true, true, false]);
    expect([f.enter('b'), f.enter('c')]).toEqual([true, false]);
    f.leave('a');
    expect(f.enter('c')).toBe(true);
    expect(f.size).toBe(3);
  });
});
