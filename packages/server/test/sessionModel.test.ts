// A model-based random test of the session layer against a real server on port 0: raw
// clients speak PROTOCOL.md by hand (helpers/modelClient.ts) and run random interleavings
// (helpers/sessionRun.ts). What it found is kept as deterministic tests in
// presenceLeaveDuringCleanup.test.ts.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runArb, runSession } from './helpers/sessionRun';

const runs = Number(process.env.SESSION_MODEL_RUNS ?? 40);

describe('session model (raw clients, real server, random interleavings)', () => {
  it('every request is answered once, streams have no hole or duplicate, presence matches, and the server empties', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const trace: string[] = [];
        const violations = await runSession(run, trace);
        if (violations.length > 0) throw new Error(`${violations.slice(0, 5).join('\n')}\n--- steps:\n${trace.join('\n')}`);
      }),
      { numRuns: runs, seed: process.env.SESSION_MODEL_SEED ? Number(process.env.SESSION_MODEL_SEED) : undefined, endOnFailure: process.env.SESSION_MODEL_SHRINK !== '1' },
    );
  }, 60_000);
});
