import { afterEach, describe, expect, it, vi } from 'vitest';
import { flaky } from '../src/sim/scenarios/flaky';
import { resolveOptions } from '../src/sim/options';
import { seededRandom } from '../src/sim/rng';
import type { NetworkControl } from '../src/sim/network';

afterEach(() => vi.restoreAllMocks());

/** Runs flaky on a fake clock that only the scenario's sleeps move. */
async function fakeFlaky(durationMs: number, seed: number) {
  let now = 1_000_000;
  vi.spyOn(Date, 'now').mockImplementation(() => now);
  const t0 = now;
  const steps: { step: string; atMs: number }[] = [];
  const calls: string[] = [];
  const net: NetworkControl = {
    cut: async (f) => (calls.push(`cut ${f}`), 1),
    blackhole: async () => 0,
    restore: async () => {},
    setLatency: async (ms) => void calls.push(`latency ${ms}`),
    setTarget: async () => {},
  };
  await flaky.run({
    options: resolveOptions({ scenario: 'flaky', durationMs }),
    net,
    fleet: null,
    random: seededRandom(seed),
    sleep: async (ms) => void (now += ms),
    remainingMs: () => Math.max(0, t0 + durationMs - now),
    waitForFleet: async () => {},
    notes: [],
    mark: (step) => steps.push({ step, atMs: now - t0 }),
  });
  return { steps, calls };
}

describe('flaky: the chaos fits in half the duration and always heals', () => {
  it.each([1, 2, 3, 7, 42])('seed %i: every step by durationMs / 2, then latency 0 in the timeline', async (seed) => {
    const { steps, calls } = await fakeFlaky(15_000, seed);
    expect(steps.length).toBeGreaterThan(2);
    for (const s of steps) expect(s.atMs, s.step).toBeLessThanOrEqual(7500);
    expect(steps.at(-1)!.step).toBe('healed: latency 0 ms');
    expect(calls.at(-1)).toBe('latency 0');
  });

  it('heals even when a step fails', async () => {
    let now = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const calls: string[] = [];
    const marks: string[] = [];
    const failing: NetworkControl = {
      cut: async () => { throw new Error('proxy gone'); },
      blackhole: async () => 0,
      restore: async () => {},
      setLatency: async (ms) => void calls.push(`latency ${ms}`),
      setTarget: async () => {},
    };
    // random() 0.1: gap 280 ms, then a cut (below 0.5), which fails.
    await expect(flaky.run({
      options: resolveOptions({ scenario: 'flaky', durationMs: 15_000 }), net: failing, fleet: null,
      random: () => 0.1, sleep: async (ms) => void (now += ms), remainingMs: () => 1, waitForFleet: async () => {}, notes: [], mark: (s) => marks.push(s),
    })).rejects.toThrow('proxy gone');
    expect(calls).toEqual(['latency 0']);
    expect(marks).toEqual(['healed: latency 0 ms']);
  });
});
