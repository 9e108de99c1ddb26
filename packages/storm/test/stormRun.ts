import { expect } from 'vitest';
import { runStorm } from '../src/sim/runStorm';
import type { StormOptions } from '../src/sim/options';
import type { RunResult } from '../src/result';

/** A small storm with the real @lifeline/core client, in this process. */
export function smallStorm(o: Omit<StormOptions, 'clients'> & { clients?: number }): Promise<RunResult> {
  return runStorm({ clients: 200, channels: 2, publishRate: 10, admissionRate: 500, durationMs: 30_000, downMs: 1000, workers: 0, client: 'core', seed: 7, ...o });
}

/** The delivery invariant: nothing lost, duplicated or reordered; everyone back. */
export function expectIntact(r: RunResult): void {
  const why = `${r.scenario}/${r.strategy}: ${r.notes.join(' | ')}`;
  expect(r.notBack, why).toBe(0);
  expect(r.published, why).toBeGreaterThan(0);
  expect({ lost: r.lost, duplicated: r.duplicated, reordered: r.reordered }, why).toEqual({ lost: 0, duplicated: 0, reordered: 0 });
  // every client received every message, except those inside announced gaps
  expect(r.delivered + r.gapped, why).toBe(r.published * (r.clients / r.channels));
}
