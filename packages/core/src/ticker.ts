import type { Clock } from './types';
import { tell } from './emitter';

/** Something ticked periodically (a client's liveness/TTL check). */
export interface Ticked {
  _tick(): void;
}

interface Group {
  _members: Set<Ticked>;
  _handle: unknown;
}

/**
 * One periodic timer per clock and interval, shared by every client using them: a
 * process holding 10,000 idle clients arms one timer a second, not 10,000 (a timer
 * per client also cost ~0.25 KB of heap each). A group's timer stops when its last
 * member leaves, so a closed client leaves nothing armed.
 */
const groups = new Map<Clock, Map<number, Group>>();

export function joinTicker(clock: Clock, intervalMs: number, member: Ticked): void {
  let byInterval = groups.get(clock);
  if (!byInterval) groups.set(clock, (byInterval = new Map()));
  let g = byInterval.get(intervalMs);
  if (!g) {
    const group: Group = { _members: new Set(), _handle: null };
    const fire = () => {
      group._handle = clock.setTimeout(fire, intervalMs);
      // One client's failure (say, its logger threw) must not stop the others' checks.
      tell(group._members, (m) => m._tick());
    };
    byInterval.set(intervalMs, (g = group));
    group._handle = clock.setTimeout(fire, intervalMs);
  }
  g._members.add(member);
}

export function leaveTicker(clock: Clock, intervalMs: number, member: Ticked): void {
  const byInterval = groups.get(clock);
  const g = byInterval?.get(intervalMs);
  if (!g?._members.delete(member) || g._members.size) return;
  clock.clearTimeout(g._handle);
  byInterval!.delete(intervalMs);
  if (!byInterval!.size) groups.delete(clock);
}
