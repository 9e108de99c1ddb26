import { expect, it } from 'vitest';
import { isStormError } from '../src/errors';
import { resolveOptions } from '../src/sim/options';
import { runStorm } from '../src/sim/runStorm';

// With `volatile` each node keeps its own log and the publisher posts to one node, so
// a scenario serving clients from two nodes at once would report the other node's
// clients as having lost messages nobody sent them: refused, not measured.

it('refuses --broker volatile for rolling (two nodes at once), before starting anything', async () => {
  expect(() => resolveOptions({ scenario: 'rolling', broker: 'volatile' })).toThrow(/volatile.*rolling.*2 nodes at once/);
  await expect(runStorm({ scenario: 'rolling', broker: 'volatile', clients: 2 })).rejects.toSatisfy((e) => isStormError(e, 'BAD_OPTION'));
});

it('still accepts volatile where one node serves at a time, and the shared brokers for rolling', () => {
  for (const scenario of ['restart', 'drain', 'blip'] as const) {
    expect(resolveOptions({ scenario, broker: 'volatile' }).broker).toBe('volatile');
  }
  expect(resolveOptions({ scenario: 'rolling', broker: 'memory' }).broker).toBe('memory');
  expect(resolveOptions({ scenario: 'rolling' }).broker).toBe('memory'); // runStorm turns an unset broker into auto
});
