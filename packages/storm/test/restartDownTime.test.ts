// Trial finding: `restart --down 2s` slept 2 s after the killed server's close() resolved,
// which took up to 0.8 s on a loaded machine (timeline `server killed +790 ms, server back
// +2970 ms`), while its sockets died and its port closed at the kill: the server was down
// for ~2.8 s. The down time now counts from the kill.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { restart } from '../src/sim/scenarios/restart';
import { resolveOptions } from '../src/sim/options';
import { seededRandom } from '../src/sim/rng';
import type { EmbeddedFleet } from '../src/sim/embedded';
import type { NetworkControl } from '../src/sim/network';

afterEach(() => vi.useRealTimers());

/** Runs restart on fake timers against a fleet whose kill() resolves `closeMs` after it starts. */
async function fakeRestart(downMs: number, closeMs: number) {
  vi.useFakeTimers();
  const t0 = Date.now();
  const events: string[] = [];
  const fleet = {
    kill: (slot: number) => {
      events.push(`kill ${slot} +${Date.now() - t0}`);
      return new Promise<void>((resolve) => setTimeout(resolve, closeMs));
    },
    startNode: async (slot: number) => void events.push(`start ${slot} +${Date.now() - t0}`),
    urls: () => ['ws://127.0.0.1:1'],
  } as unknown as EmbeddedFleet;
  const net = { setTarget: async () => {} } as unknown as NetworkControl;
  const done = restart.run({
    options: resolveOptions({ scenario: 'restart', downMs, durationMs: 30_000 }),
    net,
    fleet,
    random: seededRandom(1),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    remainingMs: () => 30_000,
    waitForFleet: async () => {},
    notes: [],
    mark: (step) => events.push(`${step} +${Date.now() - t0}`),
  });
  await vi.advanceTimersByTimeAsync(10_000);
  await done;
  return events;
}

describe('restart keeps the server down for --down from the kill', () => {
  it('a close that takes 800 ms does not lengthen a 2 s outage', async () => {
    expect(await fakeRestart(2000, 800)).toEqual(['kill 0 +0', 'server killed +800', 'start 0 +2000', 'server back +2000']);
  });

  it('a close longer than --down delays the start until it is over (same port)', async () => {
    expect(await fakeRestart(500, 800)).toEqual(['kill 0 +0', 'server killed +800', 'start 0 +800', 'server back +800']);
  });
});
