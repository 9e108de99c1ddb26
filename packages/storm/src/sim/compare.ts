import { StormError, isStormError } from '../errors';
import type { RunResult, Strategy } from '../result';
import type { Progress } from '../report/progress';
import { resolveOptions, type StormOptions } from './options';
import { runStorm, type RunHooks } from './runStorm';
import { checkTokenLifetime } from './tokenExpiry';

/** One run of a comparison. */
export interface CompareVariant {
  strategy: StormOptions['strategy'];
  serverHint: boolean;
}

/** A variant as `--compare` spells it: `full:hint`, `none:nohint`. */
export function variantLabel(v: { strategy?: Strategy; serverHint: boolean }): string {
  return `${v.strategy ?? 'full'}:${v.serverHint ? 'hint' : 'nohint'}`;
}

/**
 * A run of a comparison failed: the runs before it completed and are kept in
 * `completed` (one failure used to discard minutes of finished runs). `code` is the
 * failed run's own (INTERRUPTED when stopped); its error is the `cause`.
 */
export class CompareError extends StormError {
  readonly completed: RunResult[];
  /** Which run failed: its 0-based index among the variants, and the variant. */
  readonly failed: { index: number; total: number; variant: CompareVariant; error: unknown };
  constructor(completed: RunResult[], failed: CompareError['failed']) {
    const e = failed.error;
    const why = e instanceof Error ? e.message : String(e);
    super(isStormError(e) ? e.code : 'RUN_FAILED', `run ${failed.index + 1}/${failed.total} (${variantLabel(failed.variant)}) failed: ${why}`, { cause: e });
    this.completed = completed;
    this.failed = failed;
  }
}

/**
 * Runs the same scenario once per variant (same seed, same fleet), one after the
 * other so the runs do not compete for the CPU, and returns the results in order.
 * The first run that fails stops the comparison with a {@link CompareError} that
 * carries the completed results and the failed run's error.
 */
export async function runCompare(
  options: StormOptions,
  variants: CompareVariant[],
  hooks: RunHooks & { onRun?: ((index: number, total: number) => Progress | undefined) | undefined } = {},
): Promise<RunResult[]> {
  // A token that lasts one run but not all of them: refused before the first (BAD_OPTION),
  // not found out by the run it expires in. Options that do not resolve are the first
  // run's failure, as before.
  if (options.token !== undefined) {
    let resolved = null;
    try {
      resolved = resolveOptions(options);
    } catch {
      // reported by runStorm
    }
    if (resolved) checkTokenLifetime(resolved, variants.length);
  }
  const out: RunResult[] = [];
  for (const [i, v] of variants.entries()) {
    const progress = hooks.onRun?.(i, variants.length) ?? hooks.progress;
    try {
      out.push(await runStorm({ ...options, strategy: v.strategy, serverHint: v.serverHint }, { ...hooks, ...(progress ? { progress } : {}) }));
    } catch (error) {
      throw new CompareError(out, { index: i, total: variants.length, variant: v, error });
    }
  }
  return out;
}
