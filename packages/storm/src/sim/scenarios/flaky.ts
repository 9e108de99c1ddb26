import type { ScenarioDefinition } from './types';

/**
 * For half the run's duration: every 200–1000 ms either cut a random 10–50 % of the
 * connections or set a random latency of 0–300 ms. Then the network heals.
 */
export const flaky: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: false,
  dropsEveryone: false,
  async run({ net, options, random, sleep, mark }) {
    const end = Date.now() + options.durationMs / 2;
    while (Date.now() < end) {
      await sleep(200 + random() * 800);
      if (random() < 0.5) mark(`cut ${await net.cut(0.1 + random() * 0.4)}`);
      else {
        const ms = Math.round(random() * 300);
        await net.setLatency(ms);
        mark(`latency ${ms} ms`);
      }
    }
    await net.setLatency(0);
  },
};
