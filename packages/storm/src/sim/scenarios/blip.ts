import type { ScenarioDefinition } from './types';

/** Every socket is cut at the TCP level; the server stays up. */
export const blip: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: false,
  dropsEveryone: true,
  async run({ net, mark }) {
    mark(`cut ${await net.cut()} connections`);
  },
};
