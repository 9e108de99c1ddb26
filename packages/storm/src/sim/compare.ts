import type { RunResult } from '../result';
import type { Progress } from '../report/progress';
import type { StormOptions } from './options';
import { runStorm, type RunHooks } from './runStorm';

/**
 * Runs the same scenario once per variant (same seed, same fleet), one after the
 * other so the runs do not compete for the CPU, and returns the results in order.
 */
export async function runCompare(
  options: StormOptions,
  variants: { strategy: StormOptions['strategy']; serverHint: boolean }[],
  hooks: RunHooks & { onRun?: (index: number, total: number) => Progress | undefined } = {},
): Promise<RunResult[]> {
  const out: RunResult[] = [];
  for (const [i, v] of variants.entries()) {
    const progress = hooks.onRun?.(i, variants.length) ?? hooks.progress;
    out.push(await runStorm({ ...options, strategy: v.strategy, serverHint: v.serverHint }, { ...hooks, ...(progress ? { progress } : {}) }));
  }
  return out;
}
