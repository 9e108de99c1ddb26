// A checkpoint store that fails once (Redis restarting, a network blip, EAGAIN) and then
// works again. The failed load was kept for the life of the channel (every publish() and
// every later messages() failed with it), and a failed save was rethrown by every later
// iteration: one transient error broke the channel until the process restarted.
import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError, type CheckpointStore, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();

/** A store whose next `failLoads` loads and `failSaves` saves reject, then works. */
function flakyStore(failLoads: number, failSaves: number): CheckpointStore & { saved: Map<string, Position>; loads: number } {
  const saved = new Map<string, Position>();
  const store = {
    saved,
    loads: 0,
    async load(ch: string) {
      store.loads += 1;
      if (failLoads-- > 0) throw Object.assign(new Error('ECONNRESET (transient)'), { code: 'ECONNRESET' });
      return saved.get(ch) ?? null;
    },
    async save(ch: string, p: Position) {
      if (failSaves-- > 0) throw Object.assign(new Error('ECONNRESET (transient)'), { code: 'ECONNRESET' });
      saved.set(ch, { ...p });
    },
  };
  return store;
}

const mk = (store: CheckpointStore) => {
  const c = createNodeClient({ url: testServer.url, checkpoint: store, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  clients.add(c);
  return c;
};
const subscribed = (c: NodeClient, name: string) =>
  waitFor(() => c.channel(name).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (e: Error) => ({ ok: false as const, error: `${(e as { code?: string }).code}: ${e.message}` }),
  );

describe('a transient checkpoint-store error', () => {
  it('publish() does not wait for nor fail with the checkpoint load (it failed every publish for ever)', async () => {
    const store = flakyStore(1, 0);
    const c = mk(store);
    const ch = c.channel<{ n: number }>('transient-pub');
    await expect(ch.ready()).rejects.toSatisfy((e) => isLifelineNodeError(e, 'CHECKPOINT_FAILED'));
    const first = await settle(ch.publish({ n: 1 }, { id: 'tp-1' }));
    const second = await settle(ch.publish({ n: 2 }, { id: 'tp-2' }));
    expect([first, second]).toMatchObject([{ ok: true }, { ok: true }]);
    // ready() reads the store again after a failure, and then subscribes from it.
    const core = await ch.ready();
    expect(core).toBe(ch.channel);
    expect(store.loads).toBe(2);
  });

  it('a failed load is not kept: the next messages() reads the store again and gets messages', async () => {
    const c = mk(flakyStore(1, 0));
    const ch = c.channel<{ n: number }>('transient-load');
    const first = ch.messages();
    await expect(first.next()).rejects.toSatisfy((e) => isLifelineNodeError(e, 'CHECKPOINT_FAILED'));
    // A supervisor restarts the loop once the store is back.
    const it2 = ch.messages();
    const got = settle(it2.next());
    await subscribed(c, 'transient-load');
    await publishHttp(testServer.httpUrl, 'transient-load', { n: 1 }, 'tl-1');
    expect(await got).toMatchObject({ ok: true, value: { done: false, value: { data: { n: 1 } } } });
    await it2.return();
  });

  it('a failed save is not rethrown by every later iteration: the next one writes the acknowledged position again and goes on', async () => {
    const store = flakyStore(0, 1);
    const c = mk(store);
    const ch = c.channel<{ n: number }>('transient-save');
    await ch.ready();
    const it1 = ch.messages();
    const n1 = it1.next();
    await subscribed(c, 'transient-save');
    for (let n = 1; n <= 3; n++) await publishHttp(testServer.httpUrl, 'transient-save', { n }, `ts-${n}`);
    expect((await n1).value!.data.n).toBe(1);
    // Body done; the save of #1 fails (transient): the loop stops rather than run ahead.
    await expect(it1.next()).rejects.toSatisfy((e) => isLifelineNodeError(e, 'CHECKPOINT_FAILED'));
    // The store is healthy again; a supervisor restarts the loop. #1 was acknowledged: its
    // position is written again, and the iteration goes on with #2.
    const it2 = ch.messages();
    const r2 = await settle(it2.next());
    expect(r2).toMatchObject({ ok: true, value: { done: false, value: { data: { n: 2 } } } });
    expect(store.saved.get('transient-save')?.offset).toBe(1);
    expect(it2.checkpointError).toBeNull();
    await it2.return();
    expect(store.saved.get('transient-save')?.offset).toBe(1); // `return()` does not acknowledge #2
  });
});
