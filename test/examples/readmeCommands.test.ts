// The commands the examples' READMEs tell a newcomer to type must exist: a package a
// `pnpm --filter` names, the script it runs, a file `node` is given. And the index
// (examples/README.md) lists every example there is.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(`${root}${p}`, 'utf8');
const entries = readdirSync(`${root}examples`, { withFileTypes: true }).filter((d) => d.name !== 'README.md' && !d.name.startsWith('.'));
const readmes = [
  'examples/README.md',
  ...entries.filter((d) => d.isDirectory() && existsSync(`${root}examples/${d.name}/README.md`)).map((d) => `examples/${d.name}/README.md`),
];

/** package name → its scripts, for every workspace package under packages/ and examples/. */
const scripts = new Map<string, Record<string, string>>();
for (const base of ['packages', 'examples']) {
  for (const d of readdirSync(`${root}${base}`, { withFileTypes: true })) {
    const file = `${root}${base}/${d.name}/package.json`;
    if (!d.isDirectory() || !existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; scripts?: Record<string, string> };
    scripts.set(pkg.name, pkg.scripts ?? {});
  }
}
const rootScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

describe('examples READMEs', () => {
  it('examples/README.md links every example', () => {
    const index = read('examples/README.md');
    // An example is a package of its own or a runnable script; built.mjs and the like are helpers.
    const isExample = (d: (typeof entries)[number]) =>
      d.isDirectory() ? existsSync(`${root}examples/${d.name}/package.json`) : read(`examples/${d.name}`).startsWith('#!/usr/bin/env node');
    const examples = entries.filter(isExample).map((d) => d.name);
    expect(examples).toEqual(expect.arrayContaining(['react-chat', 'node-subscriber', 'console-demo.mjs', 'demo.mjs']));
    expect(examples.filter((name) => !index.includes(`](${name})`))).toEqual([]);
  });

  it.each(readmes)('%s: every `pnpm --filter <package> <script>` names a package and a script it has', (readme) => {
    const wrong: string[] = [];
    for (const [, name, script] of read(readme).matchAll(/pnpm --filter (@lifeline\/[\w-]+) (?:run )?([\w:-]+)/g)) {
      if (script === 'exec') continue;
      if (!scripts.get(name!)?.[script!]) wrong.push(`${name} ${script}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each(readmes)('%s: every `pnpm <script>` at the root and every `node <file>` exists', (readme) => {
    const text = read(readme);
    const wrong: string[] = [];
    for (const [, script] of text.matchAll(/`pnpm (demo|build|test|bench|typecheck)\b/g)) if (!rootScripts[script!]) wrong.push(`pnpm ${script}`);
    for (const [, file] of text.matchAll(/node (examples\/[\w./-]+\.mjs)/g)) if (!existsSync(`${root}${file}`)) wrong.push(`node ${file}`);
    expect(wrong).toEqual([]);
  });
});
