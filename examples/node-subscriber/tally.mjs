// The demo's verdict, apart so it can be tested: every order processed, and repeats only
// where packages/node promises them (its README, "The duplicates window").

/**
 * @param {{ worker: number, order: number }[]} processed every "processed" line, in log order;
 *   `worker` 1 is the one killed with SIGKILL, 2 the one restarted from its checkpoint.
 * @param {number} total orders published, numbered 1…total.
 * @param {number} [window] the consumer's `maxUncommitted` (@default 1, the worker's): after a
 *   crash exactly the last `window` messages the killed worker was handed may come again.
 * @returns {{ missing: number[], redelivered: number[], outsideWindow: number[] }}
 *   `outsideWindow`: repeats the promise does not allow (an older message, a repeat within
 *   one process, a third delivery); empty when the run kept it.
 */
export function tally(processed, total, window = 1) {
  const times = new Map();
  for (const { order } of processed) times.set(order, (times.get(order) ?? 0) + 1);
  const missing = [];
  for (let order = 1; order <= total; order++) if (!times.has(order)) missing.push(order);
  const redelivered = [...times].filter(([, n]) => n > 1).map(([order]) => order);

  const killed = processed.filter((p) => p.worker === 1).map((p) => p.order);
  const inFlight = new Set(killed.slice(-window));
  const outsideWindow = redelivered.filter((order) => {
    if (times.get(order) > 2 || !inFlight.has(order)) return true;
    // One delivery by each worker: two by the same one is a duplicate no crash explains.
    return processed.filter((p) => p.order === order && p.worker === 1).length !== 1;
  });
  return { missing, redelivered, outsideWindow };
}
