import type { ScenarioDefinition } from './types';

/** The server process is killed (sockets die with 1006) and comes back after `downMs`. */
export const restart: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: true,
  dropsEveryone: true,
  async run({ fleet, net, options, sleep, mark }) {
    await fleet!.kill(0);
    mark('server killed');
    await sleep(options.downMs);
    await fleet!.startNode(0);
    await net.setTarget(fleet!.urls());
    mark('server back');
  },
};
