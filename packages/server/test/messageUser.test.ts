// A message's `user` (PROTOCOL.md §5): on a server with a secret, the server stamps every
// stored message with the publishing token's `sub` (WebSocket `pub` and HTTP publish), and it
// travels with the message in live `msg` frames, replays and GET /v1/history, on the memory
// and the Redis broker. A client cannot set it; an open server or a token without `sub`
// gives none; a duplicate keeps the original message's.
import { describe, expect, it } from 'vitest';
import { memoryBroker, signToken, type Broker, type LifelineServer } from '../src/index';
import type { HistoryAnswer } from '../src/historyRoute';
import { decodeEntry, decodeNotification } from '../src/broker/redisCodec';
import type { TestClient } from './helpers/wsClient';
import { useRedisServer } from './helpers/redisServer';

const SECRET = 'message-user-secret';
const { available: redisUp, start, connect, openBroker } = await useRedisServer();

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const token = (claims: Record<string, unknown> = {}) => signToken({ exp: exp(), ...claims }, SECRET);

let n = 0;
const chan = (name: string) => `mu.${name}.${++n}`;

const httpPublish = async (server: LifelineServer, body: Record<string, unknown>, bearer?: string) => {
  const res = await fetch(`${server.httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { offset: number; epoch: string; duplicate?: boolean };
};
const historyOf = async (server: LifelineServer, channel: string, bearer?: string): Promise<HistoryAnswer> => {
  const res = await fetch(`${server.httpUrl}/v1/history?channel=${encodeURIComponent(channel)}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryAnswer;
};
const waitMsgs = async (c: TestClient, channel: string, count: number) => {
  for (let i = 0; c.msgs(channel).length < count; i++) {
    if (i > 400) throw new Error(`expected ${count} msg frames on ${channel}, got ${c.msgs(channel).length}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return c.msgs(channel);
};

const brokerKinds: { name: string; make: () => Broker }[] = [
  { name: 'memory broker', make: () => memoryBroker() },
  ...(redisUp
    ? [{
        name: 'redis broker',
        make: () => openBroker(),
      }]
    : []),
];

describe.each(brokerKinds)('message user ($name)', ({ make }) => {
  it('a live msg carries the publishing token\'s sub as `user`, right after `id` (field order kept)', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('live');
    const reader = await connect({ token: token({ sub: 'reader' }) });
    const ada = await connect({ token: token({ sub: 'ada' }) });
    await reader.subscribe(ch);
    expect(await ada.publish(ch, { text: 'hi' }, 'p1')).toMatchObject({ type: 'ack', offset: 1 });
    const [m] = await waitMsgs(reader, ch, 1);
    expect(m).toMatchObject({ channel: ch, offset: 1, data: { text: 'hi' }, id: 'p1', user: 'ada' });
    expect(Object.keys(m!)).toEqual(['type', 'channel', 'offset', 'epoch', 'data', 'id', 'user', 'ts']);
    void server;
  });

  it('a `user` the client puts in its pub frame or HTTP body is ignored: receivers see the token\'s sub', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('spoof');
    const reader = await connect({ token: token({ sub: 'reader' }) });
    const mallory = await connect({ token: token({ sub: 'mallory' }) });
    await reader.subscribe(ch);
    expect(await mallory.request({ type: 'pub', channel: ch, data: 'i am ada', id: 's1', user: 'ada' })).toMatchObject({ type: 'ack', offset: 1 });
    await httpPublish(server, { channel: ch, data: 'me too', id: 's2', user: 'ada' }, token({ sub: 'mallory' }));
    const msgs = await waitMsgs(reader, ch, 2);
    expect(msgs.map((m) => m.user)).toEqual(['mallory', 'mallory']);
    expect((await historyOf(server, ch, token({ sub: 'reader' }))).messages.map((m) => m.user)).toEqual(['mallory', 'mallory']);
  });

  it('replay (subscribe with since) and GET /v1/history carry each message\'s user', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('replay');
    const ada = await connect({ token: token({ sub: 'ada' }) });
    const grace = await connect({ token: token({ sub: 'grace' }) });
    const first = await ada.publish(ch, 1, 'r1');
    await grace.publish(ch, 2, 'r2');
    await httpPublish(server, { channel: ch, data: 3 }, token({ sub: 'backend' }));
    await ada.publish(ch, 4, 'r4');

    const late = await connect({ token: token({ sub: 'late' }) });
    expect(await late.subscribe(ch, { offset: 0, epoch: first.epoch })).toMatchObject({ recovered: true, replay: 4 });
    const replayed = await waitMsgs(late, ch, 4);
    expect(replayed.map((m) => [m.offset, m.user])).toEqual([[1, 'ada'], [2, 'grace'], [3, 'backend'], [4, 'ada']]);
    expect(Object.keys(replayed[0]!)).toEqual(['type', 'channel', 'offset', 'epoch', 'data', 'id', 'user', 'ts']);

    const h = await historyOf(server, ch, token({ sub: 'reader' }));
    expect(h.messages.map((m) => [m.offset, m.user])).toEqual([[1, 'ada'], [2, 'grace'], [3, 'backend'], [4, 'ada']]);
    // The HTTP publish without id: no id, still a user.
    expect(h.messages[2]).not.toHaveProperty('id');
  });

  it('HTTP publish carries the bearer token\'s sub in the live msg', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('http');
    const reader = await connect({ token: token({ sub: 'reader' }) });
    await reader.subscribe(ch);
    await httpPublish(server, { channel: ch, data: { order: 991 }, id: 'order-991' }, token({ sub: 'billing' }));
    const [m] = await waitMsgs(reader, ch, 1);
    expect(m).toMatchObject({ offset: 1, id: 'order-991', user: 'billing' });
  });

  it('a token without sub gives no user, even when the client sends one', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('nosub');
    const reader = await connect({ token: token({ sub: 'reader' }) });
    const anon = await connect({ token: token() });
    await reader.subscribe(ch);
    await anon.request({ type: 'pub', channel: ch, data: 1, id: 'a1', user: 'ada' });
    await httpPublish(server, { channel: ch, data: 2, user: 'ada' }, token());
    const msgs = await waitMsgs(reader, ch, 2);
    for (const m of msgs) expect(m).not.toHaveProperty('user');
    for (const m of (await historyOf(server, ch, token())).messages) expect(m).not.toHaveProperty('user');
  });

  it('a re-sent publish (same id, same user) keeps the original message and its user', async () => {
    const server = await start({ authSecret: SECRET, broker: make() });
    const ch = chan('dup');
    const reader = await connect({ token: token({ sub: 'reader' }) });
    await reader.subscribe(ch);
    const ada = await connect({ token: token({ sub: 'ada' }) });
    const adaAgain = await connect({ token: token({ sub: 'ada' }) });
    await ada.publish(ch, 'original', 'same');
    expect(await adaAgain.publish(ch, 'copy', 'same')).toMatchObject({ offset: 1, duplicate: true });
    expect(await httpPublish(server, { channel: ch, data: 'copy', id: 'same' }, token({ sub: 'ada' }))).toMatchObject({ offset: 1, duplicate: true });
    // Ids are scoped to their publisher (PROTOCOL.md §6): another user's same id is its own message.
    const grace = await connect({ token: token({ sub: 'grace' }) });
    expect(await grace.publish(ch, 'hers', 'same')).toMatchObject({ offset: 2 });
    await waitMsgs(reader, ch, 2);
    expect(reader.msgs(ch)).toHaveLength(2);
    expect((await historyOf(server, ch, token())).messages).toMatchObject([
      { offset: 1, data: 'original', user: 'ada' },
      { offset: 2, data: 'hers', user: 'grace' },
    ]);
  });
});

describe.each(brokerKinds)('message user on an open server ($name)', ({ make }) => {
  it('no user field at all: live, replay, history, whatever the client or the bearer header says', async () => {
    const server = await start({ broker: make() });
    const ch = chan('open');
    const reader = await connect();
    const sub = await reader.subscribe(ch);
    const writer = await connect({ token: signToken({ sub: 'ada', exp: exp() }, 'any') });
    await writer.request({ type: 'pub', channel: ch, data: 1, id: 'o1', user: 'ada' });
    await httpPublish(server, { channel: ch, data: 2, id: 'o2', user: 'ada' }, signToken({ sub: 'ada', exp: exp() }, 'any'));
    const live = await waitMsgs(reader, ch, 2);
    const late = await connect();
    await late.subscribe(ch, { offset: 0, epoch: sub.epoch as string });
    const replayed = await waitMsgs(late, ch, 2);
    const { messages } = await historyOf(server, ch);
    for (const m of [...live, ...replayed, ...messages]) expect(m).not.toHaveProperty('user');
    expect(Object.keys(live[0]!)).toEqual(['type', 'channel', 'offset', 'epoch', 'data', 'id', 'ts']);
  });
});

describe('redis codec: entries and notifications without a user stay readable', () => {
  it('an entry / notification written before `u` existed reads as a message without user', () => {
    expect(decodeEntry('c', 'e', ['3-0', ['d', '{"a":1}', 'i', 'x', 't', '5']])).toEqual({ channel: 'c', offset: 3, epoch: 'e', data: { a: 1 }, id: 'x', ts: 5 });
    expect(decodeNotification('c', '["e",3,"5","x"]\n{"a":1}')).toEqual({ channel: 'c', offset: 3, epoch: 'e', data: { a: 1 }, id: 'x', ts: 5 });
  });

  it('a user is read back exactly, a lone surrogate included', () => {
    const user = 'a\ud800b';
    const json = JSON.stringify(user);
    expect(decodeEntry('c', 'e', ['1-0', ['d', '1', 'i', '', 't', '5', 'u', json]]).user).toBe(user);
    expect(decodeNotification('c', `${JSON.stringify(['e', 1, '5', '', json])}\n1`).user).toBe(user);
  });
});

describe.skipIf(!redisUp)('redis broker: user through the stream and the fan-out', () => {
  it('stored in the stream entry and sent in the notification; a lone surrogate survives', async () => {
    const a = openBroker();
    const b = openBroker();
    const ch = chan('codec');
    const got: unknown[] = [];
    await b.onMessage(ch, (m) => got.push(m.user));
    const odd = 'x\udc00y';
    await a.publish(ch, 1, 'u1', odd);
    await a.publish(ch, 2, 'u2');
    await a.publish(ch, 3, undefined, '');
    for (let i = 0; got.length < 3; i++) {
      if (i > 400) throw new Error('notifications did not arrive');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(got).toEqual([odd, undefined, '']);
    const read = await b.read(ch, 0, 10);
    expect(read.messages.map((m) => m.user)).toEqual([odd, undefined, '']);
    expect(read.messages[1]).not.toHaveProperty('user');
  });
});
