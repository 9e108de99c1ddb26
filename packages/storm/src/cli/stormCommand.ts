import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
import { verdict } from './verdict';

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
  if (c.json) await writeOut('JSON', c.json, toJson(results));
  if (c.report) await writeOut('report', c.report, toHtml(results));
  const v = verdict(results);
  if (v.message) process.stderr.write(`${v.message}\n`);
  return v.status;
}

// The absolute path is printed because a relative one resolves against the process's
// cwd, and `pnpm --filter @lifeline/storm exec` runs in packages/storm, not where the
// user typed the command.
async function writeOut(what: string, file: string, text: string): Promise<void> {
  const path = resolve(file);
  await writeFile(path, text);
  process.stderr.write(`${what} written to ${path}\n`);
}
