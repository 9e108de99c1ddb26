import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import type { PresenceChange, StoredMessage } from '../src/broker/types';
import { FakeClock } from './helpers/fakeClock';

describe('memoryBroker', () => {
  it('assigns contiguous offsets from 1 under one epoch and reports the head', async () => {
    const b = memoryBroker();
    expect(await b.position('a')).toMatchObject({ offset: 0 });
    const r1 = await b.publish('a', 'x', 'i1');
    const r2 = await b.publish('a', 'y', 'i2');
    expect([r1.offset, r2.offset]).toEqual([1, 2]);
    expect(r1.epoch).toBe(r2.epoch);
    expect(r1.epoch).toMatch(/^e_/);
    expect(await b.position('a')).toEqual({ offset: 2, epoch: r1.epoch });
    // another channel has its own log and epoch
    expect((await b.publish('b', 'z')).offset).toBe(1);
  });

  it('keeps only `retention` messages and reads after an offset with a limit', async () => {
    const b = memoryBroker({ retention: 3 });
    for (let i = 1; i <= 5; i++) await b.publish('c', i);
    const all = await b.read('c', 0, 100);
    expect(all.head).toBe(5);
    expect(all.earliest).toBe(3);
    expect(all.messages.map((m) => m.data)).toEqual([3, 4, 5]);
    const some = await b.read('c', 3, 1);
    expect(some.messages.map((m) => m.offset)).toEqual([4]);
    const empty = await b.read('never', 0, 10);
    expect(empty).toMatchObject({ head: 0, earliest: 1, messages: [] });
  });

  it('stores a re-sent id once and returns the original offset with duplicate: true', async () => {
    const b = memoryBroker();
    const first = await b.publish('d', 'a', 'same');
    await b.publish('d', 'b', 'other');
    const again = await b.publish('d', 'a', 'same');
    expect(again).toEqual({ offset: first.offset, epoch: first.epoch, duplicate: true });
    expect((await b.read('d', 0, 10)).messages).toHaveLength(2);
  });

  it('forgets ids after dedupeTtlMs (fake clock) and beyond dedupeWindow', async () => {
    const clock = new FakeClock();
    const b = memoryBroker({ dedupeTtlMs: 1000, dedupeWindow: 2, clock });
    await b.publish('e', 1, 'x');
    clock.advance(999);
    expect((await b.publish('e', 1, 'x')).duplicate).toBe(true);
    clock.advance(1);
    expect((await b.publish('e', 1, 'x')).duplicate).toBe(false);
    await b.publish('e', 2, 'y');
    await b.publish('e', 3, 'z'); // window of 2: the newest x is evicted
    expect((await b.publish('e', 1, 'x')).duplicate).toBe(false);
    expect((await b.publish('e', 3, 'z')).duplicate).toBe(true);
  });

  it('forgets the ids of a channel that went quiet once they are past dedupeTtlMs (a publish to any channel sweeps them)', async () => {
    const clock = new FakeClock();
    const b = memoryBroker({ dedupeTtlMs: 1000, clock });
    for (let c = 0; c < 50; c++) for (let i = 0; i < 20; i++) await b.publish(`quiet:${c}`, i, `id-${i}`);
    expect(b.dedupeIdCount()).toBe(1000);
    clock.advance(999);
    await b.publish('busy', 0, 'b-0');
    expect(b.dedupeIdCount()).toBe(1001); // none expired yet
    clock.advance(1);
    await b.publish('busy', 1, 'b-1');
    // The quiet channels' ids are gone though nothing was published on them again.
    expect(b.dedupeIdCount()).toBe(2);
  });

  it('one busy channel: ids the window evicted do not pile up until their TTL (the queue stays within 2 × held + 1024)', async () => {
    const clock = new FakeClock();
    const b = memoryBroker({ dedupeTtlMs: 600_000, dedupeWindow: 10, clock });
    for (let i = 0; i < 20_000; i++) {
      await b.publish('busy', i, `id-${i}`);
      clock.advance(1);
    }
    expect(b.dedupeIdCount()).toBe(10);
    expect(b.dedupeQueueLength()).toBeLessThanOrEqual(2 * 10 + 1024 + 1);
    // The window still answers for what it holds.
    expect((await b.publish('busy', 'again', 'id-19999')).duplicate).toBe(true);
  });

  it('an id evicted by the window and stored again is kept for its new time, not swept at its old one', async () => {
    const clock = new FakeClock();
    const b = memoryBroker({ dedupeTtlMs: 1000, dedupeWindow: 1, clock });
    await b.publish('c', 1, 'x');
    clock.advance(500);
    await b.publish('c', 2, 'y'); // window of 1: x is evicted
    await b.publish('c', 3, 'x'); // stored again at 500
    clock.advance(500); // x's first storing (at 0) expires now
    await b.publish('other', 0, 'o');
    expect((await b.publish('c', 4, 'x')).duplicate).toBe(true);
  });

  it('calls listeners in offset order and stops after detach', async () => {
    const b = memoryBroker();
    const seen: StoredMessage[] = [];
    const off = await b.onMessage('f', (m) => seen.push(m));
    await Promise.all([b.publish('f', 1), b.publish('f', 2), b.publish('f', 3)]);
    await off();
    await b.publish('f', 4);
    expect(seen.map((m) => m.offset)).toEqual([1, 2, 3]);
  });

  it('emits join/update/leave per clientId, not per connection', async () => {
    const b = memoryBroker();
    const events: PresenceChange[] = [];
    await b.onPresence('p', (c) => events.push(c));
    await b.presenceSet('p', { clientId: 'c1', connId: 'k1', info: { n: 1 } }, 1000);
    await b.presenceSet('p', { clientId: 'c1', connId: 'k1', info: { n: 1 } }, 1000); // refresh: nothing
    await b.presenceSet('p', { clientId: 'c1', connId: 'k2', info: { n: 1 } }, 1000); // second connection: nothing
    await b.presenceSet('p', { clientId: 'c1', connId: 'k2', info: { n: 2 } }, 1000); // info changed: update
    await b.presenceRemove('p', 'c1', 'k1'); // still on k2: nothing
    expect((await b.presenceList('p')).map((e) => e.connId)).toEqual(['k2']);
    await b.presenceRemove('p', 'c1', 'k2');
    expect(events.map((e) => e.event)).toEqual(['join', 'update', 'leave']);
    expect(events[0]!.member).toEqual({ clientId: 'c1', info: { n: 1 } });
    expect(await b.presenceList('p')).toEqual([]);
  });

  it('a refresh of either entry of a client on two connections with different info announces nothing', async () => {
    const b = memoryBroker();
    const events: PresenceChange[] = [];
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1000);
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 1000);
    await b.onPresence('p', (c) => events.push(c));
    for (let i = 0; i < 5; i++) {
      await b.presenceRefresh('p', { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1000);
      await b.presenceRefresh('p', { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 1000);
    }
    expect(events).toEqual([]);
    // tab2 entered last and stays the newest: the member's info is still its.
    expect((await b.presenceList('p')).map((e) => e.connId)).toEqual(['tab1', 'tab2']);
    // An entry that is gone is stored again, as an enter.
    await b.presenceRemove('p', 'ada', 'tab1');
    await b.presenceRemove('p', 'ada', 'tab2');
    await b.presenceRefresh('p', { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1000);
    expect(events.map((e) => `${e.event}:${JSON.stringify(e.member.info)}`)).toEqual(['leave:{"tab":2}', 'join:{"tab":1}']);
  });

  it("removing a client's newest entry announces update with the remaining newest entry's info", async () => {
    const b = memoryBroker();
    const events: PresenceChange[] = [];
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab1', info: { tab: 1 } }, 1000);
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab2', info: { tab: 2 } }, 1000);
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab3', info: { tab: 3 } }, 1000);
    await b.onPresence('p', (c) => events.push(c));
    await b.presenceRemove('p', 'ada', 'tab2'); // not the newest: the member is unchanged
    expect(events).toEqual([]);
    await b.presenceRemove('p', 'ada', 'tab3');
    expect(events).toEqual([{ event: 'update', member: { clientId: 'ada', info: { tab: 1 } } }]);
    const list = await b.presenceList('p');
    expect(list).toEqual([{ clientId: 'ada', connId: 'tab1', info: { tab: 1 } }]);
  });

  it("removing a client's newest entry whose info equals the remaining one's announces nothing", async () => {
    const b = memoryBroker();
    const events: PresenceChange[] = [];
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab1', info: { tab: 'same' } }, 1000);
    await b.presenceSet('p', { clientId: 'ada', connId: 'tab2', info: { tab: 'same' } }, 1000);
    await b.onPresence('p', (c) => events.push(c));
    await b.presenceRemove('p', 'ada', 'tab2');
    expect(events).toEqual([]);
  });

  it('reset() gives every channel a fresh epoch and an empty log', async () => {
    const b = memoryBroker();
    const before = await b.publish('r', 1, 'id');
    await b.reset();
    const after = await b.position('r');
    expect(after.offset).toBe(0);
    expect(after.epoch).not.toBe(before.epoch);
    expect((await b.publish('r', 1, 'id')).duplicate).toBe(false);
  });

  it('rejects calls after close and reports unhealthy', async () => {
    const b = memoryBroker();
    expect(await b.healthy()).toBe(true);
    await b.close();
    expect(await b.healthy()).toBe(false);
    await expect(b.publish('x', 1)).rejects.toThrow(/closed/);
  });
});
