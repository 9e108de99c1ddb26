import { describe, expect, it } from 'vitest';
import { Shard, type ShardSpec } from '../src/sim/shard';
import type { SimClientFactory, SimClientHooks } from '../src/sim/clients/types';

const spec: ShardSpec = {
  targets: ['ws://127.0.0.1:9'], from: 0, to: 4, channels: ['c'], strategy: 'full', serverHint: true,
  initialDelayMs: 500, maxDelayMs: 30_000, seed: 1, client: 'core', connectRate: 1000, direct: true,
};
const published = [[1, 2, 3, 4].map((seq) => ({ seq, epoch: 'e', offset: seq }))];

describe('shard delivery report', () => {
  it('counts what clients not back at the end missed after their last delivery as undelivered, not lost', async () => {
    const hooks: SimClientHooks[] = [];
    const ready = [true, true, false, false];
    const factory: SimClientFactory = (s) => {
      hooks[s.index] = s.hooks;
      return { isReady: () => ready[s.index]!, setUrl: () => {}, close: async () => {} };
    };
    const shard = new Shard(spec, factory);
    await shard.start(); // creates all four at once (1000/s, first tick)
    hooks.forEach((h) => h.onOpen());
    const deliver = (i: number, ...seqs: number[]) => seqs.forEach((q) => hooks[i]!.onMessage(0, q));
    deliver(0, 1, 2, 3, 4); // back, complete
    deliver(1, 1, 2); // back, missed 3 and 4: lost
    deliver(2, 1, 2); // not back: 3 and 4 undelivered
    deliver(3, 1, 3); // not back: 2 is a hole in what it got (lost), 4 undelivered
    const report = shard.collect(published);
    await shard.close();
    expect(report.counts[0]).toMatchObject({ expected: 16, delivered: 10, lost: 3, unrecovered: 2, undelivered: 3 });
    expect(report.openSince.filter((t) => t === null)).toHaveLength(2); // the same two are the run's notBack
  });

  it('where the fault drops everyone, a client connected since before it that never dropped is not back: its misses are undelivered, not lost', async () => {
    const hooks: SimClientHooks[] = [];
    const factory: SimClientFactory = (s) => {
      hooks[s.index] = s.hooks;
      return { isReady: () => true, setUrl: () => {}, close: async () => {} };
    };
    const shard = new Shard({ ...spec, to: 2, mustDrop: true }, factory);
    await shard.start();
    hooks.forEach((h) => h.onOpen());
    hooks.forEach((h) => h.onMessage(0, 1));
    shard.markFault();
    // client 0 noticed the fault and came back; client 1 is still "open" on a half-open connection
    hooks[0]!.onDrop();
    hooks[0]!.onOpen();
    [2, 3, 4].forEach((q) => hooks[0]!.onMessage(0, q));
    const report = shard.collect(published);
    await shard.close();
    expect(report.openSince[0]).not.toBeNull();
    expect(report.openSince[1]).toBeNull();
    expect(report.counts[0]).toMatchObject({ lost: 0, unrecovered: 1, undelivered: 3 });
  });

  it('where the fault need not drop everyone (flaky), a client that never dropped is back', async () => {
    const hooks: SimClientHooks[] = [];
    const factory: SimClientFactory = (s) => {
      hooks[s.index] = s.hooks;
      return { isReady: () => true, setUrl: () => {}, close: async () => {} };
    };
    const shard = new Shard({ ...spec, to: 1, mustDrop: false }, factory);
    await shard.start();
    hooks[0]!.onOpen();
    shard.markFault();
    [1, 2, 3, 4].forEach((q) => hooks[0]!.onMessage(0, q));
    const report = shard.collect(published);
    await shard.close();
    expect(report.openSince[0]).not.toBeNull();
    expect(report.counts[0]).toMatchObject({ lost: 0, unrecovered: 0 });
  });
});
