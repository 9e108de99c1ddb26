import type { ScenarioDefinition } from './types';

/**
 * The embedded server (in storm's own process, not a process of its own) crashes as a
 * killed process would: every socket terminated without a close frame (1006), its port
 * closed; a new server comes back on it after `downMs`.
 */
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
