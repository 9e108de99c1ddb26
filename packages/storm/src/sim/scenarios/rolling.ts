import type { ScenarioDefinition } from './types';

/**
 * Two nodes behind the proxy share one broker; each is replaced in turn: a new node
 * starts, takes the old one's place in the pool, the old one drains (server hint on)
 * or is killed (hint off), and the fleet settles before the next node goes.
 */
export const rolling: ScenarioDefinition = {
  nodes: 2,
  needsEmbedded: true,
  dropsEveryone: true,
  async run({ fleet, net, options, waitForFleet, mark, remainingMs }) {
    for (const slot of [0, 1]) {
      const old = fleet!.nodes[slot]!;
      // Its clients must drop and come back before the next node goes: killed (hint off),
      // they still looked ready at once, and both nodes died together.
      const onOld = old.stats().connections;
      const spare = 2 + slot;
      await fleet!.startNode(spare);
      await net.setTarget(fleet!.urls().filter((u) => u !== old.url));
      if (options.serverHint) await fleet!.drain(slot, remainingMs());
      else await fleet!.kill(slot);
      mark(`node ${slot} ${options.serverHint ? 'drained' : 'killed'}`);
      fleet!.nodes[slot] = fleet!.nodes[spare]!;
      fleet!.nodes[spare] = null;
      if (slot === 0) {
        await waitForFleet(onOld);
        mark('fleet settled');
      }
    }
  },
};
