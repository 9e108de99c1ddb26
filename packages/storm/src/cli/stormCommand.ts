import { writeFile } from 'node:fs/promises';
import type { RunResult } from '../result';
import { toHtml } from '../report/html';
import { toJson } from '../report/json';
import { createProgress } from '../report/progress';
import { formatTable } from '../report/table';
import { formatNotes } from '../report/notes';
import { runCompare } from '../sim/compare';
import type { StormOptions } from '../sim/options';
import { runStorm } from '../sim/runStorm';
import type { Variant } from './args';

/** Runs one scenario (or a comparison), prints the table, writes the files; returns the exit status. */
export async function stormCommand(c: { options: StormOptions; variants: Variant[] | null; json?: string; report?: string }): Promise<number> {
  let results: RunResult[];
  if (c.variants) {
    results = await runCompare(c.options, c.variants, {
      onRun: (i, n) => {
        process.stderr.write(`run ${i + 1}/${n}: ${c.variants![i]!.strategy}${c.variants![i]!.serverHint ? ' + hint' : ''}\n`);
        return createProgress();
      },
    });
  } else {
    results = [await runStorm(c.options, { progress: createProgress() })];
  }
  process.stdout.write(formatTable(results) + '\n');
  const notes = formatNotes(results);
  if (notes) process.stdout.write(notes + '\n');
  if (c.json) await writeFile(c.json, toJson(results));
  if (c.report) await writeFile(c.report, toHtml(results));
  const broken = results.filter((r) => r.lost + r.duplicated + r.reordered > 0);
  if (broken.length) {
    process.stderr.write(`invariant broken: ${broken.map((r) => `${r.strategy}: ${r.lost} lost, ${r.duplicated} duplicated, ${r.reordered} reordered`).join('; ')}\n`);
    return 2;
  }
  return 0;
}
