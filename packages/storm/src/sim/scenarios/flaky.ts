import type { ScenarioDefinition } from './types';

/**
 * For half the run's duration: every 200–1000 ms either cut a random 10–50 % of the
 * connections or set a random latency of 0–300 ms. Then the network heals (latency 0,
 * marked in the timeline), also when the run is cut short.
 */
export const flaky: ScenarioDefinition = {
  nodes: 1,
  needsEmbedded: false,
  dropsEveryone: false,
  async run({ net, options, random, sleep, mark }) {
    const chaosMs = options.durationMs / 2;
    const start = Date.now();
    let chaosFailed = true;
    try {
      for (;;) {
        const gap = 200 + random() * 800;
        // A step that would land past the chaos window is not taken: the last sleep
        // used to run over it (a step at +8.5 s of a 15 s run whose chaos ends at 7.5 s).
        if (Date.now() - start + gap > chaosMs) break;
        await sleep(gap);
        if (random() < 0.5) mark(`cut ${await net.cut(0.1 + random() * 0.4)}`);
        else {
          const ms = Math.round(random() * 300);
          await net.setLatency(ms);
          mark(`latency ${ms} ms`);
        }
      }
      chaosFailed = false;
    } finally {
      // After a failed step the heal is best effort: its own error must not hide the first.
      const healed = await net.setLatency(0).then(() => true, (e: unknown) => {
        if (!chaosFailed) throw e;
        return false;
      });
      if (healed) mark('healed: latency 0 ms');
    }
  },
};
