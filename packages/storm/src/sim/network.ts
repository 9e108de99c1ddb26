import type { ShardHandle } from './shardHandle';

/**
 * The fleet's network as scenarios see it: every shard has its own chaos proxy in
 * front of the servers, and each call here is applied to all of them.
 */
export interface NetworkControl {
  /** Resets connections: all, or each with probability `fraction` (seeded). Resolves with how many. */
  cut(fraction?: number): Promise<number>;
  blackhole(): Promise<number>;
  restore(): Promise<void>;
  setLatency(ms: number): Promise<void>;
  /** Where new connections go (existing ones are untouched). */
  setTarget(urls: string[]): Promise<void>;
}

export function shardNetwork(shards: ShardHandle[], random: () => number): NetworkControl {
  const all = async (cmd: Parameters<ShardHandle['chaos']>[0]) => (await Promise.all(shards.map((s) => s.chaos(cmd)))).reduce((a, b) => a + b, 0);
  return {
    cut: (fraction = 1) => all({ op: 'cut', fraction, seed: Math.floor(random() * 2 ** 32) }),
    blackhole: () => all({ op: 'blackhole' }),
    restore: async () => void (await all({ op: 'restore' })),
    setLatency: async (ms) => void (await all({ op: 'latency', ms })),
    setTarget: async (targets) => void (await all({ op: 'target', targets })),
  };
}
