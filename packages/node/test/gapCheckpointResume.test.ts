import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GapEvent } from '@lifeline/core';
import { createNodeClient, fileCheckpoint, memoryCheckpoint, type CheckpointStore, type GapPolicy } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

// The gap a restart tells must come with nothing after it to process (the server sends the
// retained tail after `recovered: false`, so a gap out of retention is followed by the
// retained messages, which checkpoint past it anyway): a memory server that loses its log
// (faults.restart: new epoch, empty log) while no worker runs.
const testServer = useTestServer({ faults: true });
const clients = useTracker();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-gap-resume-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function publishRange(channel: string, from: number, to: number) {
  for (let n = from; n <= to; n++) await publishHttp(testServer.httpUrl, channel, { n }, `${channel}-${n}`);
}

/**
 * One run of a worker (a new client, as a restarted process makes): iterates until `until`
 * says stop, then aborts and closes. Returns what it processed and the gaps it was told.
 */
async function runWorker(
  store: CheckpointStore,
  channel: string,
  onGap: GapPolicy,
  until: (got: number[], gaps: GapEvent[], buffered: () => number) => boolean | Promise<boolean>,
  whenSubscribed: () => Promise<void> = async () => {},
): Promise<{ got: number[]; gaps: GapEvent[] }> {
  const c = clients.add(createNodeClient({ url: testServer.url, checkpoint: store }));
  const got: number[] = [];
  const gaps: GapEvent[] = [];
  const ch = c.channel<{ n: number }>(channel);
  ch.on('gap', (g) => void gaps.push(g));
  const stop = new AbortController();
  const it = ch.messages({ signal: stop.signal, onGap });
  const loop = (async () => {
    for await (const m of it) got.push(m.data.n);
  })();
  await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 10_000, `${channel} subscribed`);
  await whenSubscribed();
  await waitFor(() => until(got, gaps, () => it.buffered), 5_000, 'the run to reach its point');
  stop.abort();
  await loop;
  await c.close();
  return { got, gaps };
}

describe("an accepted gap ('continue' or a callback) is checkpointed", () => {
  const stores: Array<[string, (name: string) => CheckpointStore]> = [
    ['memoryCheckpoint', () => memoryCheckpoint()],
    ['fileCheckpoint', (name) => fileCheckpoint(join(dir, `${name}.json`))],
  ];
  const policies: Array<[string, GapPolicy]> = [
    ["'continue'", 'continue'],
    ['a callback', () => {}],
  ];

  for (const [storeName, makeStore] of stores) {
    for (const [policyName, onGap] of policies) {
      it(`${storeName}, ${policyName}: the restart after a quiet period resumes after the gap, not before it (messages published while down were skipped)`, async () => {
        const channel = `gap-${storeName}-${typeof onGap}`;
        const store = makeStore(channel);

        // Run 1 processes 1..2 (checkpoint @2).
        const run1 = await runWorker(store, channel, onGap, (got) => got.length === 2, () => publishRange(channel, 1, 2));
        expect(run1.got).toEqual([1, 2]);
        expect((await store.load(channel))?.offset).toBe(2);

        // While no worker runs, the server loses its log (3..8 published before are lost with it).
        await publishRange(channel, 3, 8);
        await testServer.server.faults!.restart();

        // Run 2 is told the gap and accepts it (the loop took it: nothing is buffered); nothing
        // else is published during it. Its end flushes the checkpoint, which must then be where
        // the channel goes on from (gap.to), although no message was processed after it.
        const run2 = await runWorker(store, channel, onGap, (_got, gaps, buffered) => gaps.length === 1 && buffered() === 0);
        expect(run2.got).toEqual([]);
        expect(run2.gaps).toHaveLength(1);
        expect(run2.gaps[0]!.reason).toBe('epoch-changed');
        expect(run2.gaps[0]!.to.offset).toBe(0);
        expect.soft(await store.load(channel)).toEqual(run2.gaps[0]!.to);

        // While no worker runs, 9..10 are published (in the new epoch). Run 3 must get
        // them with no gap: before the fix it resumed before the gap again, was told the
        // same gap, and skipped 9 and 10.
        await publishRange(channel, 9, 10);
        const run3 = await runWorker(store, channel, onGap, (got, gaps) => got.length >= 2 || gaps.length > 0);
        expect(run3.gaps).toEqual([]);
        expect(run3.got).toEqual([9, 10]);
      });
    }
  }
});
