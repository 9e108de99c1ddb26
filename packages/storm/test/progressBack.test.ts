import { describe, expect, it } from 'vitest';
import { Shard } from '../src/sim/shard';
import type { SimClientHooks } from '../src/sim/clients/types';

// P3-11: right after a fault that drops everyone the bar said `blip: 300/300 back` (clients
// that had not noticed the fault yet were ready), then fell to `23/300 back`. The shard's
// `back` counts as the result's notBack does: ready and dropped since the fault.

describe('clients back after a fault that drops everyone', () => {
  it('does not count a client that has not noticed the fault yet', async () => {
    const hooks: SimClientHooks[] = [];
    const ready = [false, false];
    const shard = new Shard(
      { targets: ['ws://127.0.0.1:9'], direct: true, mustDrop: true, from: 0, to: 2, channels: ['c'], strategy: 'full', serverHint: true, initialDelayMs: 500, maxDelayMs: 30_000, seed: 1, client: 'custom', connectRate: 1000 },
      (spec) => {
        const i = hooks.push(spec.hooks) - 1;
        return { isReady: () => ready[i]!, setUrl: () => {}, close: async () => {} };
      },
    );
    await shard.start();
    hooks.forEach((h, i) => {
      h.onOpen();
      ready[i] = true;
    });
    shard.markFault();
    expect(shard.status()).toMatchObject({ ready: 2, back: 0 });
    hooks[0]!.onDrop();
    ready[0] = false;
    expect(shard.status()).toMatchObject({ ready: 1, back: 0 });
    hooks[0]!.onOpen();
    ready[0] = true;
    expect(shard.status()).toMatchObject({ ready: 2, dropped: 1, back: 1 });
    await shard.close();
  });
});
