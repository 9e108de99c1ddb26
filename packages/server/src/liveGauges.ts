import type { ServerContext } from './context';
import { replayBudgetOf } from './replayBudget';
import type { LiveGauges } from './stats';

/** The gauges `stats()` and `/metrics` read off the server's structures when asked. */
export function liveGauges(ctx: ServerContext): LiveGauges {
  const budget = replayBudgetOf(ctx);
  return { channels: ctx.hub.size, presencePending: ctx.grace.size, replayHeldBytes: budget.held, replayWaiting: budget.waiting, replayEvictions: budget.evictions };
}
