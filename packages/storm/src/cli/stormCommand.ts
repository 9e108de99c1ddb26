import type { RunResult } from '../result';
import { toHtml } from '../report/html';
import { toJson } from '../report/json';
import { createProgress } from '../report/progress';
import { formatTable } from '../report/table';
import { formatNotes } from '../report/notes';
import { CompareError, runCompare, variantLabel } from '../sim/compare';
import type { StormOptions } from '../sim/options';
import { runStorm } from '../sim/runStorm';
import { unusedTargetNote } from '../proxy/targetText';
import type { Variant } from './args';
import { checkOutputs, outputFiles, writeOutputs } from './outputFiles';
import { verdict } from '../verdict';
import { isStormError } from '../errors';
import { catchInterrupt, stoppingWords } from './interrupt';

/** Runs one scenario (or a comparison), prints the table, writes the files; returns the exit status. */
export async function stormCommand(c: { options: StormOptions; variants: Variant[] | null; json?: string; report?: string }): Promise<number> {
  // The absolute path is printed because a relative one resolves against the process's
  // cwd, and `pnpm --filter @lifeline/storm exec` runs in packages/storm, not where the
  // user typed the command.
  const files = outputFiles(c);
  await checkOutputs(files); // before the run: an unwritable path is a usage error, not a lost run
  let results: RunResult[];
  // Said before the run, as the proxy's banner does: a path or user:password in --target is not used.
  const unused = c.options.target === undefined ? null : unusedTargetNote(c.options.target);
  if (unused) process.stderr.write(`lifeline-storm: ${unused}\n`);
  const said = unused ? [unused] : [];
  const interrupt = catchInterrupt(stoppingWords(c.options));
  try {
    if (c.variants) {
      results = await runCompare(c.options, c.variants, {
        signal: interrupt.signal,
        onRun: (i, n) => {
          process.stderr.write(`run ${i + 1}/${n}: ${variantLabel(c.variants![i]!)}\n`);
          return createProgress();
        },
      });
    } else {
      results = [await runStorm(c.options, { progress: createProgress(), signal: interrupt.signal })];
    }
  } catch (e) {
    const status = interrupt.status();
    if (status === null || !isStormError(e, 'INTERRUPTED')) {
      // The runs a comparison finished before one failed are still reported (and written).
      if (!(e instanceof CompareError) || e.completed.length === 0) throw e;
      await report(e.completed, files, { compare: true, failed: e.message, said });
      process.stderr.write(`lifeline-storm: ${e.message} [${e.code}]; the table shows the ${e.completed.length} run(s) completed before it\n`);
      return 1;
    }
    // Stopped by the signal: the runs a comparison finished before it are reported, as after
    // a failed run (they used to be dropped: minutes of finished runs gone with a Ctrl-C).
    if (e instanceof CompareError && e.completed.length > 0) {
      await report(e.completed, files, { compare: true, failed: e.message, exitStatus: status, said });
      process.stderr.write(`lifeline-storm: ${e.message}; the table shows the ${e.completed.length} run(s) completed before it; exit ${status}\n`);
    }
    // Cleaned up; whatever the stopped run still had going must not keep the process alive.
    setTimeout(() => process.exit(status), 1000).unref();
    return status;
  } finally {
    interrupt.dispose();
  }
  // A signal while the finished run was closing its servers and client processes: the run
  // is whole, so it is reported, but the exit status is still the signal's (the report says
  // so too). It used to be the run's own (0) after the line "SIGINT: stopping the run", so
  // `… && deploy` went on.
  const late = interrupt.status();
  const compare = c.variants !== null;
  const { failures } = await report(results, files, late === null ? { compare, said } : { compare, failed: 'a signal came while the finished run was closing', exitStatus: late, said });
  const v = verdict(results);
  if (v.message) process.stderr.write(`${v.message}\n`);
  if (late !== null) {
    process.stderr.write(`lifeline-storm: the run had finished when the signal came: its results are above; exit ${late}\n`);
    return late;
  }
  // The run's own verdict (2, 3) says more than a file that could not be written (1).
  return v.status !== 0 ? v.status : failures.length > 0 ? 1 : 0;
}

/**
 * Prints the table and notes and writes the --json / --report files. `compare`: the JSON is
 * an array, also of one run (a comparison stopped after its first); `failed`: why a
 * comparison stopped early, or a late signal; `exitStatus`: the CLI's status then (1, or a
 * signal's 130 / 143); `said`: notes already printed before the run.
 */
async function report(results: RunResult[], files: ReturnType<typeof outputFiles>, o: { compare: boolean; failed?: string; exitStatus?: number; said: string[] }) {
  process.stdout.write(formatTable(results) + '\n');
  const notes = formatNotes(results, o.said);
  if (notes) process.stdout.write(notes + '\n');
  const html = o.failed === undefined ? {} : { failed: o.failed, exitStatus: o.exitStatus ?? 1 };
  const failures = await writeOutputs(files.map((f) => ({ ...f, text: f.flag === '--json' ? toJson(results, o.compare) : toHtml(results, undefined, html) })));
  return { failures };
}
