// publint on every published package, as `pnpm pack` would publish it.
import { describe, expect, it } from 'vitest';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { publishedPackages } from './packages';

describe('publint', () => {
  for (const p of publishedPackages) {
    it(`${p.name} has no publint errors or warnings`, async () => {
      const { messages } = await publint({ pkgDir: p.dir, level: 'suggestion', strict: true, pack: 'pnpm' });
      const pkgJson = JSON.parse(readFileSync(path.join(p.dir, 'package.json'), 'utf8'));
      const text = messages.map((m) => `${m.type}: ${formatMessage(m, pkgJson) ?? m.code}`);
      const suggestions = text.filter((t) => t.startsWith('suggestion'));
      if (suggestions.length) console.info(`${p.name} publint suggestions:\n  ${suggestions.join('\n  ')}`);
      expect(text.filter((t) => !t.startsWith('suggestion'))).toEqual([]);
    }, 120_000);
  }
});
