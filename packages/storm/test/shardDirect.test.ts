import { describe, expect, it } from 'vitest';
import { StormError } from '../src/errors';
import { Shard, type ShardSpec } from '../src/sim/shard';
import type { SimClient, SimClientFactory } from '../src/sim/clients/types';

const spec = (direct: boolean): ShardSpec => ({
  targets: ['ws://127.0.0.1:9', 'ws://127.0.0.1:10'],
  from: 0,
  to: 4,
  channels: ['c'],
  strategy: 'full',
  serverHint: true,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  seed: 1,
  client: 'core',
  connectRate: 1000,
  direct,
});

describe('shard without a proxy (scenarios with a healthy network)', () => {
  it('sends each client to a target round-robin and moves the next attempts on `target`', async () => {
    const urls = new Map<number, string[]>();
    const factory: SimClientFactory = (s) => {
      urls.set(s.index, [s.url]);
      return { isReady: () => false, setUrl: (u) => urls.get(s.index)!.push(u), close: async () => {} };
    };
    const shard = new Shard(spec(true), factory);
    await shard.start();
    await new Promise((r) => setTimeout(r, 50));
    shard.chaos({ op: 'target', targets: ['ws://127.0.0.1:11'] });
    await shard.close();
    expect([...urls.values()]).toEqual([
      ['ws://127.0.0.1:9/v1', 'ws://127.0.0.1:11/v1'],
      ['ws://127.0.0.1:10/v1', 'ws://127.0.0.1:11/v1'],
      ['ws://127.0.0.1:9/v1', 'ws://127.0.0.1:11/v1'],
      ['ws://127.0.0.1:10/v1', 'ws://127.0.0.1:11/v1'],
    ]);
    expect(shard.proxyStats()).toBeNull();
  });

  it('says so when a custom client cannot be moved (no setUrl) or there is nowhere to move it', async () => {
    const shard = new Shard(spec(true), () => ({ isReady: () => false, close: async () => {} }) as unknown as SimClient);
    await shard.start();
    expect(() => shard.chaos({ op: 'target', targets: ['ws://127.0.0.1:11'] })).toThrow(/setUrl/);
    expect(() => shard.chaos({ op: 'target', targets: [] })).toThrow(StormError);
    await shard.close();
  });

  it('refuses network faults with a typed error: they need the proxy', () => {
    const shard = new Shard(spec(true), () => ({ isReady: () => false, setUrl: () => {}, close: async () => {} }));
    for (const cmd of [{ op: 'cut', fraction: 1, seed: 1 }, { op: 'blackhole' }, { op: 'latency', ms: 5 }] as const) {
      expect(() => shard.chaos(cmd)).toThrow(StormError);
    }
  });
});
