// drain() step (2) is "checkpoint writes complete"; a store that HANGS already made the
// drain report clean: false (drainStuckCheckpoint.test.ts). A store that REJECTS the last
// save (disk full, read-only remount, Redis refusing writes) was reported clean: true and
// the loop ended with `done`: the CHECKPOINT_FAILED was swallowed, the operator's log said
// "clean shutdown" while the handled message was not durable (redelivered next run).
import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError, type CheckpointStore } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();

function breakableStore(): CheckpointStore & { saved: Map<string, Position>; broken: boolean } {
  const saved = new Map<string, Position>();
  const s = {
    saved,
    broken: false,
    async load(ch: string) {
      return saved.get(ch) ?? null;
    },
    async save(ch: string, p: Position) {
      if (s.broken) throw new Error('ENOSPC: no space left on device');
      saved.set(ch, { ...p });
    },
  };
  return s;
}

describe('drain() when the last checkpoint save fails', () => {
  it('is not clean, names the channel, and the loop gets CHECKPOINT_FAILED instead of done', async () => {
    const s = breakableStore();
    const c = createNodeClient({ url: testServer.url, checkpoint: s });
    clients.add(c);
    const ch = c.channel<{ n: number }>('drain-enospc');
    await ch.ready();
    const handled: number[] = [];
    let loopError: unknown = null;
    let release!: () => void;
    const bodyGate = new Promise<void>((r) => (release = r));
    const loop = (async () => {
      try {
        for await (const msg of ch.messages()) {
          handled.push(msg.data.n);
          if (msg.data.n === 2) await bodyGate; // SIGTERM arrives while #2 is processed
        }
      } catch (e) {
        loopError = e;
      }
    })();
    await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
    await publishHttp(testServer.httpUrl, 'drain-enospc', { n: 1 }, 'de-1');
    await publishHttp(testServer.httpUrl, 'drain-enospc', { n: 2 }, 'de-2');
    await waitFor(() => handled.length === 2, 5000, 'two handled');
    await waitFor(() => s.saved.get('drain-enospc')?.offset === 1, 5000, '#1 committed');
    s.broken = true; // the disk fills up now
    const draining = c.drain({ timeoutMs: 5000 });
    release();
    const result = await draining;
    await loop;
    // #2 was handled but its checkpoint is not durable: the store still says #1.
    expect(s.saved.get('drain-enospc')?.offset).toBe(1);
    expect(result).toMatchObject({ clean: false, unfinishedConsumers: 0, failedCheckpoints: ['drain-enospc'] });
    expect(result.checkpoints['drain-enospc']?.offset).toBe(1);
    expect(isLifelineNodeError(loopError, 'CHECKPOINT_FAILED')).toBe(true);
    expect(String((loopError as Error).cause)).toMatch(/ENOSPC/);
  });
});
