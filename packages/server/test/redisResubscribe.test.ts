// A pub/sub reconnect that overlaps a read on the command connection. The interleaving
// is forced with a proxy that faults one connection of the broker (test/helpers/roleProxy):
// the read runs in Redis, its answer is held, the subscriber connection is cut and a
// message is published while it is away; the answer is released only once the broker
// has resubscribed. The message must arrive with no further publish to reveal the gap.
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisBroker, type RedisBroker } from '../src/broker/redisBroker';
import type { RedisBrokerOptions } from '../src/broker/redisOptions';
import { channelKeys } from '../src/broker/redisKeys';
import type { PresenceChange, StoredMessage } from '../src/broker/types';
import { startRoleProxy, type RoleProxy } from './helpers/roleProxy';
import { REDIS_URL, redisSuite, waitFor } from './redisTestUtils';

const { available, prefix } = await redisSuite();
const open: RedisBroker[] = [];
const proxies: RoleProxy[] = [];
const raws: Redis[] = [];
const errors: Error[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  for (const r of raws.splice(0)) r.disconnect();
});

function node(url: string, extra: RedisBrokerOptions = {}): RedisBroker {
  const b = redisBroker({ url, keyPrefix: prefix, reconnectDelayMs: () => 20, onError: (e) => errors.push(e), ...extra });
  open.push(b);
  return b;
}
function raw(): Redis {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  raws.push(r);
  return r;
}
let n = 0;
const chan = (name: string) => `${name}.${++n}`;

/**
 * Cuts the broker's subscriber connection, runs `act` while it is away (its reconnects
 * are refused meanwhile), and returns once the broker has processed its resubscription.
 * How the test knows: the broker then catches up `sentinel`, a message feed it already
 * follows, and Redis answers that read (held, so the held bytes grow).
 */
async function duringSubscriberCut<T>(proxy: RoleProxy, act: () => Promise<T>): Promise<T> {
  const before = proxy.heldBytes('cmd');
  proxy.refuse('sub', true);
  proxy.cut('sub');
  const result = await act();
  proxy.refuse('sub', false);
  await waitFor(() => proxy.heldBytes('cmd') > before, 'the broker to resubscribe and catch up its sentinel feed');
  return result;
}

/** A broker behind a role proxy, following a sentinel channel (see duringSubscriberCut). */
async function faultedNode(): Promise<{ proxy: RoleProxy; b: RedisBroker }> {
  const proxy = await startRoleProxy();
  proxies.push(proxy);
  const b = node(proxy.url);
  await b.onMessage(chan('sentinel'), () => undefined);
  return { proxy, b };
}

describe.skipIf(!available)('redisBroker: pub/sub reconnect during a read', () => {
  it('a feed still starting when the subscriber reconnects delivers what was published during the cut, without another publish', async () => {
    const { proxy, b } = await faultedNode();
    const publisher = node(REDIS_URL);
    const ch = chan('starting');
    await publisher.publish(ch, 'before');

    proxy.hold('cmd');
    const seen: StoredMessage[] = [];
    const attaching = b.onMessage(ch, (m) => seen.push(m));
    await waitFor(() => proxy.heldBytes('cmd') > 0, "the feed's head read to run in Redis");
    const { offset } = await duringSubscriberCut(proxy, () => publisher.publish(ch, 'during the cut'));
    proxy.release('cmd');
    await attaching;

    await waitFor(() => seen.length > 0, 'the message published during the cut', 3000);
    expect(seen.map((m) => [m.offset, m.data])).toEqual([[offset, 'during the cut']]);
  });

  it('a reconnect while a catch-up read is answered late still fetches what was published during the cut', async () => {
    const { proxy, b } = await faultedNode();
    const publisher = node(REDIS_URL);
    const ch = chan('catching-up');
    await publisher.publish(ch, 'before');
    const seen: StoredMessage[] = [];
    await b.onMessage(ch, (m) => seen.push(m));

    proxy.hold('cmd');
    // A notification the feed cannot read makes it catch up from the stream: that read
    // runs in Redis now, before the cut, and its (empty) answer is held.
    await raw().publish(channelKeys(prefix, ch).feed, 'not a notification');
    await waitFor(() => proxy.heldBytes('cmd') > 0, 'the catch-up read to run in Redis');
    const { offset } = await duringSubscriberCut(proxy, () => publisher.publish(ch, 'during the cut'));
    proxy.release('cmd');

    await waitFor(() => seen.length > 0, 'the message published during the cut', 3000);
    expect(seen.map((m) => [m.offset, m.data])).toEqual([[offset, 'during the cut']]);
    expect(errors.some((e) => /unreadable notification/.test(e.message))).toBe(true);
  });

  it('a presence watch still loading when the subscriber reconnects announces the join it missed', async () => {
    const { proxy, b } = await faultedNode();
    const publisher = node(REDIS_URL);
    const ch = chan('presence-starting');
    await publisher.presenceList(ch);

    proxy.hold('cmd');
    const seen: PresenceChange[] = [];
    const watching = b.onPresence(ch, (e) => seen.push(e));
    await waitFor(() => proxy.heldBytes('cmd') > 0, "the watch's presence read to run in Redis");
    await duringSubscriberCut(proxy, () => publisher.presenceSet(ch, { clientId: 'ada', connId: 'c1' }, 30_000));
    proxy.release('cmd');
    await watching;

    await waitFor(() => seen.length > 0, 'the join that happened during the cut', 3000);
    expect(seen).toEqual([{ event: 'join', member: { clientId: 'ada' } }]);
  });
});
