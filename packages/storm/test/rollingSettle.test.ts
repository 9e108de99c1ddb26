// `rolling --server-hint off` killed both nodes together: right after node 0 was killed
// its clients had not noticed yet and still counted as ready, so the wait for the fleet
// to settle returned at once. The scenario now waits for node 0's clients to drop too.
import { describe, expect, it } from 'vitest';
import { rolling } from '../src/sim/scenarios/rolling';
import type { ScenarioContext } from '../src/sim/scenarios';

function stubContext(serverHint: boolean) {
  const steps: string[] = [];
  const node = (name: string, connections: number) => ({ url: `ws://${name}`, stats: () => ({ connections }) });
  const nodes: (ReturnType<typeof node> | null)[] = [node('a', 7), node('b', 5)];
  const fleet = {
    nodes,
    urls: () => nodes.filter((n) => n !== null).map((n) => n!.url),
    startNode: async (slot: number) => {
      nodes[slot] = node(`spare${slot}`, 0);
      steps.push(`start ${slot}`);
    },
    kill: async (slot: number) => void steps.push(`kill ${slot}`),
    drain: async (slot: number) => void steps.push(`drain ${slot}`),
  };
  const ctx = {
    options: { serverHint },
    fleet,
    net: { setTarget: async () => {} },
    waitForFleet: async (dropped?: number) => void steps.push(`wait for ${dropped} dropped and all back`),
    mark: () => {},
    remainingMs: () => 10_000,
  } as unknown as ScenarioContext;
  return { ctx, steps };
}

describe('rolling waits for the first node\'s clients to drop and come back before the second node goes', () => {
  it.each([false, true])('server hint %s', async (hint) => {
    const { ctx, steps } = stubContext(hint);
    await rolling.run(ctx);
    const leave = hint ? 'drain' : 'kill';
    expect(steps).toEqual(['start 2', `${leave} 0`, 'wait for 7 dropped and all back', 'start 3', `${leave} 1`]);
  });
});
