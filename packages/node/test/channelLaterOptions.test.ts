// A later `client.channel(name, options)` on a channel made earlier (e.g. by a module that
// published on it at startup) dropped its options: a consumer asking to replay from `since`
// iterated from the head and skipped what was published before, with no gap event. Core's
// rules now apply: `since` while the channel has no position yet; a conflict is refused.
import { describe, expect, it } from 'vitest';
import type { Position } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError, memoryCheckpoint, type CheckpointStore, type NodeChannel } from '../src/index';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer();
const clients = useTracker();
const client = (checkpoint: CheckpointStore | null = null) =>
  clients.add(createNodeClient({ url: testServer.url, checkpoint, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }));

let seq = 0;
const fresh = (what: string) => `later-${what}-${++seq}`;

/** The first `count` messages' `n`, in order (the loop ends itself). */
async function take(ch: NodeChannel<{ n: number }>, count: number): Promise<number[]> {
  const got: number[] = [];
  for await (const m of ch.messages({ onGap: 'stop' })) {
    got.push(m.data.n);
    if (got.length === count) break;
  }
  return got;
}

/** Publishes n = 1…count through `ch` (as a startup module would), returning the first ack's epoch. */
async function publishThrough(ch: NodeChannel<{ n: number }>, count: number): Promise<string> {
  let epoch = '';
  for (let n = 1; n <= count; n++) {
    const ack = await ch.publish({ n });
    if (n === 1) epoch = ack.epoch;
  }
  return epoch;
}

const badOption = (e: unknown) => isLifelineNodeError(e, 'BAD_OPTION');

describe('a later client.channel(name, { since }) on an existing channel', () => {
  it('applies since to a channel first made to publish (checkpoint store, nothing stored)', async () => {
    const c = client(memoryCheckpoint());
    const name = fresh('store');
    const epoch = await publishThrough(c.channel<{ n: number }>(name), 5);
    const since: Position = { offset: 0, epoch };
    const ch = c.channel<{ n: number }>(name, { since });
    expect(ch).toBe(c.channel(name));
    expect(ch.resumedFrom).toEqual(since);
    // The head would be after n = 5: the loop got nothing and waited for a sixth message.
    expect(await take(ch, 5)).toEqual([1, 2, 3, 4, 5]);
  });

  it('applies since without a checkpoint store (core channel already made)', async () => {
    const c = client();
    const name = fresh('nostore');
    const epoch = await publishThrough(c.channel<{ n: number }>(name), 3);
    const ch = c.channel<{ n: number }>(name, { since: { offset: 1, epoch } });
    expect(await take(ch, 2)).toEqual([2, 3]);
    expect(ch.resumedFrom).toEqual({ offset: 1, epoch });
  });

  it('applies since given while the checkpoint load is still pending', async () => {
    let release!: () => void;
    const loaded = new Promise<void>((r) => (release = r));
    const store = memoryCheckpoint();
    const slow: CheckpointStore = { load: async (n) => (await loaded, store.load(n)), save: (n, p) => store.save(n, p) };
    const c = client(slow);
    const name = fresh('pending');
    await publishHttp(testServer.httpUrl, name, { n: 1 });
    const epoch = (await (await fetch(`${testServer.httpUrl}/v1/history?channel=${name}&limit=1`)).json()) as { epoch: string };
    c.channel(name);
    const ch = c.channel<{ n: number }>(name, { since: { offset: 0, epoch: epoch.epoch } });
    release();
    expect(await take(ch, 1)).toEqual([1]);
    expect(ch.resumedFrom).toEqual({ offset: 0, epoch: epoch.epoch });
  });

  it("re-subscribes from since when the head's subscribe was already sent (iteration waiting)", async () => {
    const c = client();
    const name = fresh('resub');
    const epoch = await publishThrough(c.channel<{ n: number }>(name), 3);
    const first = c.channel<{ n: number }>(name);
    const pending = take(first, 3);
    const ch = c.channel<{ n: number }>(name, { since: { offset: 0, epoch } });
    expect(await pending).toEqual([1, 2, 3]);
    expect(ch.resumedFrom).toEqual({ offset: 0, epoch });
  });

  it('leaves a stored checkpoint in force (since is only the fallback), without an error', async () => {
    const name = fresh('stored');
    const c0 = client();
    const epoch = await publishThrough(c0.channel<{ n: number }>(name), 4);
    const c = client(memoryCheckpoint({ [name]: { offset: 2, epoch } }));
    const ch = c.channel<{ n: number }>(name);
    await ch.ready();
    expect(() => c.channel(name, { since: { offset: 0, epoch } })).not.toThrow();
    expect(ch.resumedFrom).toEqual({ offset: 2, epoch });
    expect(await take(ch, 2)).toEqual([3, 4]);
  });

  it('refuses another since once the channel has a position (BAD_OPTION), accepts the same one', async () => {
    const c = client();
    const name = fresh('moved');
    const epoch = await publishThrough(c.channel<{ n: number }>(name), 3);
    const ch = c.channel<{ n: number }>(name, { since: { offset: 0, epoch } });
    expect(await take(ch, 2)).toEqual([1, 2]);
    expect(() => c.channel(name, { since: { offset: 0, epoch } })).not.toThrow();
    let thrown: unknown;
    try {
      c.channel(name, { since: { offset: 1, epoch } });
    } catch (error) {
      thrown = error;
    }
    expect(badOption(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/since \{ offset: 1, epoch: ".*" \} cannot apply: the channel started from \{ offset: 0/);
    expect((thrown as { channel?: string }).channel).toBe(name);
    // Nothing changed: the next iteration goes on where the last one was (n = 2 was in the
    // loop body at `break`, so unacknowledged: it comes first).
    expect(ch.resumedFrom).toEqual({ offset: 0, epoch });
    expect(await take(ch, 2)).toEqual([2, 3]);
  });

  it('refuses another since while the first one waits for the checkpoint load', async () => {
    const store: CheckpointStore = { load: () => new Promise(() => {}), save: async () => {} };
    const c = client(store);
    const name = fresh('twice');
    c.channel(name, { since: { offset: 0, epoch: 'e1' } });
    expect(() => c.channel(name, { since: { offset: 0, epoch: 'e1' } })).not.toThrow();
    expect(() => c.channel(name, { since: { offset: 3, epoch: 'e1' } })).toThrow(/was made with since \{ offset: 0/);
  });

  it('refuses an invalid since or onHandlerError on a later call (BAD_OPTION, value shown)', async () => {
    const c = client();
    const name = fresh('invalid');
    c.channel(name);
    expect(() => c.channel(name, { since: { offset: 1.5, epoch: 'e' } })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => c.channel(name, { since: { offset: '1', epoch: 'e' } as unknown as Position })).toThrow(/got \{"offset":"1","epoch":"e"\}/);
    expect(() => c.channel(name, { onHandlerError: 'skipp' as 'skip' })).toThrow(/onHandlerError must be 'redeliver' or 'skip' \(got "skipp"\)/);
    expect(() => c.channel(name, null as unknown as undefined)).toThrow(/options must be an object \(got null\)/);
  });
});

describe('a later client.channel(name, { onHandlerError })', () => {
  it('applies while nobody consumes; the other policy while consumed is refused with BAD_OPTION', async () => {
    const c = client();
    const name = fresh('policy');
    const epoch = await publishThrough(c.channel<{ n: number }>(name), 2);
    // Not consumed: the one named last applies (core's rule), so core then refuses 'redeliver' while consumed.
    c.channel(name, { onHandlerError: 'skip', since: { offset: 0, epoch } });
    const ch = c.channel<{ n: number }>(name);
    const it = ch.messages();
    const first = await it.next();
    expect(first.value?.data).toEqual({ n: 1 });
    let thrown: unknown;
    try {
      c.channel(name, { onHandlerError: 'redeliver' });
    } catch (error) {
      thrown = error;
    }
    expect(badOption(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/onHandlerError "redeliver" conflicts/);
    expect((thrown as { cause?: { code?: string } }).cause?.code).toBe('BAD_ARGUMENT');
    expect(() => c.channel(name, { onHandlerError: 'skip' })).not.toThrow();
    await it.return?.();
  });
});
