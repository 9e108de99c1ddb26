import type { ScenarioDefinition } from './types';

/**
 * Traffic stops without a close (the proxy blackholes every connection). The path
 * heals after 1 s (one heartbeat interval if that is shorter), but the old connections
 * stay dead: clients must notice through their heartbeat timeout and reconnect.
 */
export const halfOpen: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: false,
  dropsEveryone: true,
  async run({ net, options, sleep, mark }) {
    mark(`blackholed ${await net.blackhole()} connections`);
    await sleep(Math.min(1000, options.heartbeatMs));
    await net.restore();
    mark('path restored (old connections stay dead)');
  },
};
