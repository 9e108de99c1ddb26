import type { ScenarioDefinition } from './types';

/**
 * Planned shutdown: the replacement node starts first, new connections go to it (as a
 * load balancer would send them), then the old node drains: `drain` frame with
 * `reconnectWindowMs` and a slot, close 1012. The network is healthy, so no proxy:
 * with 2,500 clients per process the proxy's sockets doubled each process's work and
 * its stalls showed up as spikes in the wave.
 */
export const drain: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: true,
  dropsEveryone: true,
  network: 'direct',
  async run({ fleet, net, mark, remainingMs }) {
    await fleet!.startNode(1);
    mark('new node up');
    await net.setTarget([fleet!.nodes[1]!.url]);
    mark('traffic moved to the new node');
    await fleet!.drain(0, remainingMs());
    mark('old node drained');
  },
};
