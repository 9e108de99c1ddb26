// The HTML report imported its verdict from the CLI layer (src/cli/verdict.ts): a report
// module must not depend on the command line that happens to call it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(__dirname, '../src');

describe('module layering', () => {
  it('no module outside src/cli imports from it', () => {
    const offenders = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.startsWith('cli')) // src/cli/ and the bin's src/cli.ts
      .filter((f) => /from '(\.\.?\/)+cli[/']/.test(readFileSync(join(src, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
