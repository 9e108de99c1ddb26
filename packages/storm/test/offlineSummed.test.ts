import { afterEach, describe, expect, it, vi } from 'vitest';
import { Shard } from '../src/sim/shard';
import { mergeReports } from '../src/sim/runStorm';
import type { SimClientHooks } from '../src/sim/clients/types';

// P2-3: "offline" is each client's summed time offline. It ran from a client's first drop
// to its last reconnect, counting the time it was connected between two drops.

afterEach(() => {
  vi.useRealTimers();
});

describe('offline time per client', () => {
  it('sums the outages of a client that dropped twice, leaving out the time it was connected between them', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const hooks: SimClientHooks[] = [];
    let ready = false;
    const shard = new Shard(
      { targets: ['ws://127.0.0.1:9'], direct: true, from: 0, to: 2, channels: ['c'], strategy: 'full', serverHint: true, initialDelayMs: 500, maxDelayMs: 30_000, seed: 1, client: 'custom', connectRate: 1000 },
      (spec) => {
        hooks.push(spec.hooks);
        return { isReady: () => ready, setUrl: () => {}, close: async () => {} };
      },
    );
    await shard.start();
    expect(hooks).toHaveLength(2);
    const [a, b] = hooks as [SimClientHooks, SimClientHooks];
    a.onOpen();
    b.onOpen();
    ready = true;
    shard.markFault();
    const tFault = Date.now();
    vi.advanceTimersByTime(100);
    a.onDrop(); // a: down 200 ms, up 1000 ms, down 300 ms
    b.onDrop(); // b: down 400 ms once
    vi.advanceTimersByTime(200);
    a.onOpen();
    vi.advanceTimersByTime(200);
    b.onOpen();
    vi.advanceTimersByTime(800);
    a.onDrop();
    vi.advanceTimersByTime(300);
    a.onOpen();
    const report = shard.collect([[]]);
    await shard.close();
    expect(report.offlineMs).toEqual([500, 400]);
    // What the run reports: the summed times (first drop to last reconnect would be 1500 for a).
    expect(mergeReports([report], tFault).offline).toEqual([500, 400]);
  });

  it('a client still offline at the end is not back (null)', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const hooks: SimClientHooks[] = [];
    const shard = new Shard(
      { targets: ['ws://127.0.0.1:9'], direct: true, from: 0, to: 1, channels: ['c'], strategy: 'full', serverHint: true, initialDelayMs: 500, maxDelayMs: 30_000, seed: 1, client: 'custom', connectRate: 1000 },
      (spec) => {
        hooks.push(spec.hooks);
        return { isReady: () => false, setUrl: () => {}, close: async () => {} };
      },
    );
    await shard.start();
    hooks[0]!.onOpen();
    shard.markFault();
    hooks[0]!.onDrop();
    vi.advanceTimersByTime(1000);
    const report = shard.collect([[]]);
    await shard.close();
    expect(report.offlineMs).toEqual([null]);
  });
});
