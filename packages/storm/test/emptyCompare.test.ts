// `--compare ,` (or `--compare ""`) parsed to zero variants: the CLI ran nothing, printed an
// empty table and exited 0 ("ok").
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommand, parseVariants } from '../src/cli/args';
import { isStormError } from '../src/errors';

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

function code(f: () => unknown): string {
  try {
    return `accepted: ${JSON.stringify(f())}`;
  } catch (e) {
    return isStormError(e) ? e.code : String(e);
  }
}

describe('--compare needs at least one variant', () => {
  it('parseCommand / parseVariants refuse an empty list with BAD_OPTION', () => {
    expect(code(() => parseCommand(['blip', '--compare', ',']))).toBe('BAD_OPTION');
    expect(code(() => parseCommand(['blip', '--compare', '']))).toBe('BAD_OPTION');
    expect(code(() => parseVariants(' , ,', true))).toBe('BAD_OPTION');
    expect(parseVariants('full,', true)).toEqual([{ strategy: 'full', serverHint: true }]);
  });

  it('the bin does not report success for a run it never made', () => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build)');
      return;
    }
    const r = spawnSync(process.execPath, [bin, 'blip', '--compare', ',', '--clients', '5'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/\[BAD_OPTION\]/);
  });
});
