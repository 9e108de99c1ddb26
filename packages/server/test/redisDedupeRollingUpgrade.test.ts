// A rolling upgrade across the publisher-scoped dedupe keys (36c219e): nodes from before
// it keep a publish id under `<channel>:id:<id>` whatever its publisher; upgraded nodes
// look a publisher's ids up under `<channel>:uid:["<sub>","<id>"]` only. A drain hands
// the old node's clients to new nodes, and their outboxes re-send every publish whose
// ack they did not get, with the same id: exactly the re-send the dedupe window exists
// for. Found by review N; fails on the code as reviewed.
import { afterEach, describe, expect, it } from 'vitest';
import { redisBroker, type RedisBroker } from '../src/index';
import { encodeData } from '../src/broker/redisCodec';
import { openConnection, type LogCommands } from '../src/broker/redisConnection';
import { channelKeys } from '../src/broker/redisKeys';
import { Redis } from 'ioredis';
import { REDIS_URL, redisSuite } from './redisTestUtils';
import { waitFor } from './helpers/waitFor';
import { monitorRedis } from './helpers/redisMonitor';

const { available, prefix } = await redisSuite();
let broker: RedisBroker | undefined;
let legacy: ReturnType<typeof openConnection> | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  legacy?.disconnect();
  legacy = undefined;
});

/**
 * A publish by a node from before the upgrade (59d1d4a redisBroker.publish, same
 * PUBLISH_LUA): the dedupe key is `dedupe + id`, the publisher's `sub` only stored in
 * the entry.
 */
async function publishOnOldNode(channel: string, data: unknown, id: string, user: string): Promise<[number, string, number]> {
  if (!legacy) {
    legacy = openConnection({ url: REDIS_URL, commandTimeoutMs: 2000, reconnectDelayMs: () => 100 }, 'cmd');
    if (legacy.status !== 'ready') await new Promise((resolve) => legacy!.once('ready', resolve));
  }
  const k = channelKeys(prefix, channel);
  return (legacy as unknown as LogCommands).llPublish(
    k.epoch, k.seq, k.log, `${k.dedupe}${id}`,
    'e_oldnode', encodeData(data), id, String(Date.now()), '1000', '0', String(600_000), k.feed, JSON.stringify(user),
  );
}

describe.skipIf(!available)('Redis dedupe across a rolling upgrade to publisher-scoped ids', () => {
  it('a publish an old node stored, re-sent by its user to an upgraded node within the window, is a duplicate, not stored twice', async () => {
    const [offset, epoch, dup] = await publishOnOldNode('rolling', 'order #1', 'c1-n-1', 'alice');
    expect([offset, dup]).toEqual([1, 0]);
    // The old node drained before alice got the ack; her client re-sends to a new node.
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix });
    const again = await broker.publish('rolling', 'order #1', 'c1-n-1', 'alice');
    expect(again).toEqual({ offset: 1, epoch, duplicate: true });
    expect((await broker.read('rolling', 0, 10)).messages.map((m) => m.data)).toEqual(['order #1']);
  });

  it('keeps: another user re-using that id on the upgraded node is not made a duplicate by the old key', async () => {
    await publishOnOldNode('rolling-other', 'alice #1', 'c1-n-1', 'alice');
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix });
    const bob = await broker.publish('rolling-other', 'bob #1', 'c1-n-1', 'bob');
    expect(bob).toMatchObject({ offset: 2, duplicate: false });
  });

  it('keeps: a legacy key naming an entry trimmed out of retention is not taken as a duplicate (its user cannot be checked)', async () => {
    await publishOnOldNode('rolling-trimmed', 'alice #1', 'c1-n-1', 'alice');
    broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix, retention: 1 });
    await broker.publish('rolling-trimmed', 'alice #2', 'c1-n-2', 'alice');
    const again = await broker.publish('rolling-trimmed', 'alice #1', 'c1-n-1', 'alice');
    expect(again).toMatchObject({ offset: 3, duplicate: false });
  });

  it('costs one extra GET, only when the publisher key misses: a re-send the upgraded node stored reads no legacy key', async () => {
    const k = channelKeys(prefix, 'rolling-cost');
    const gets: string[] = [];
    let done = false;
    const monitor = await monitorRedis(Number(new URL(REDIS_URL).port), (args) => {
      if (args[0]?.toUpperCase() !== 'GET') return;
      if (args[1] === `${prefix}-sentinel`) done = true;
      else if (args[1]?.startsWith(k.dedupe) || args[1]?.startsWith(k.publisherDedupe)) gets.push(args[1].slice(k.dedupe.length - 3));
    });
    try {
      broker = redisBroker({ url: REDIS_URL, keyPrefix: prefix });
      await broker.publish('rolling-cost', 'a', 'c1-n-1', 'alice'); // new: both keys miss
      await broker.publish('rolling-cost', 'a', 'c1-n-1', 'alice'); // re-send: its own key holds it
      await broker.publish('rolling-cost', 'b', 'open-1'); // no publisher: the one key it always had
      const probe = new Redis(REDIS_URL);
      await probe.get(`${prefix}-sentinel`);
      probe.disconnect();
      await waitFor(() => done, 'the sentinel GET in MONITOR');
    } finally {
      monitor.close();
    }
    expect(gets).toEqual(['uid:["alice","c1-n-1"]', 'id:c1-n-1', 'uid:["alice","c1-n-1"]', 'id:open-1']);
  });
});
