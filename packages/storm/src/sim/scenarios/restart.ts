import type { ScenarioDefinition } from './types';

/**
 * The embedded server (in storm's own process, not a process of its own) crashes as a
 * killed process would: every socket terminated without a close frame (1006), its port
 * closed; a new server comes back on it `downMs` after the kill.
 */
export const restart: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: true,
  dropsEveryone: true,
  async run({ fleet, net, options, sleep, mark }) {
    // The down time counts from the kill, when the sockets die and the port closes (both
    // at once, inside kill()'s first step), not from when closing the killed server's
    // remains resolves: that took 0.1–0.8 s on a loaded machine with 2,000 clients, and a
    // `--down 2s` kept the server down for up to 2.8 s.
    const down = sleep(options.downMs);
    await fleet!.kill(0);
    mark('server killed');
    await down;
    await fleet!.startNode(0);
    await net.setTarget(fleet!.urls());
    mark('server back');
  },
};
