/** The demo's verdict over the workers' "processed" lines; see tally.mjs. */
export function tally(
  processed: readonly { worker: number; order: number }[],
  total: number,
  window?: number,
): { missing: number[]; redelivered: number[]; outsideWindow: number[] };
