import type { ScenarioDefinition } from './types';

/**
 * Planned shutdown: the replacement node starts first, the proxy (standing in for a
 * load balancer) sends new connections to it, then the old node drains: `drain`
 * frame with `reconnectWindowMs`, close 1012.
 */
export const drain: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: true,
  dropsEveryone: true,
  async run({ fleet, net, mark }) {
    await fleet!.startNode(1);
    mark('new node up');
    await net.setTarget([fleet!.nodes[1]!.url]);
    mark('traffic moved to the new node');
    await fleet!.drain(0);
    mark('old node drained');
  },
};
