import type { RunResult } from '../result';
import { runLabel } from './svgChart';

/** A run's notes, or the notes shared by every run of a comparison. */
export interface NoteGroup {
  /** `null` for notes every run has; else the run's label, e.g. `full + hint` or `full (no hint)`. */
  run: string | null;
  notes: string[];
}

/**
 * Groups the notes of one run or of a comparison. Each run of a `--compare` has its
 * own timeline, close codes and refusals: merged into one list, a reader could not
 * tell whose they were, and a note two runs shared word for word lost one of them.
 * Notes every run has are listed once, then each run's own under its label.
 */
export function groupNotes(results: readonly RunResult[]): NoteGroup[] {
  if (results.length <= 1) {
    const notes = results[0]?.notes ?? [];
    return notes.length ? [{ run: null, notes: [...notes] }] : [];
  }
  const shared = results[0]!.notes.filter((n) => results.every((r) => r.notes.includes(n)));
  const groups: NoteGroup[] = shared.length ? [{ run: null, notes: shared }] : [];
  for (const r of results) {
    const own = r.notes.filter((n) => !shared.includes(n));
    if (own.length) groups.push({ run: runLabel(r), notes: own });
  }
  return groups;
}

/**
 * The notes as text lines for the terminal (`  · note`, a run's under its label). `said`:
 * notes the terminal already showed before the run (the CLI's unused-target warning), left
 * out here so they are not printed twice; the JSON and HTML reports keep every note.
 */
export function formatNotes(results: readonly RunResult[], said: readonly string[] = []): string {
  return groupNotes(results)
    .map((g) => ({ ...g, notes: g.notes.filter((n) => !said.includes(n)) }))
    .filter((g) => g.notes.length > 0)
    .flatMap((g) => (g.run === null ? g.notes.map((n) => `  · ${n}`) : [`  ${g.run}:`, ...g.notes.map((n) => `    · ${n}`)]))
    .join('\n');
}
