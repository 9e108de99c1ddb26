#!/usr/bin/env node
// `prepack` of every published package: refuses to pack when a file its package.json
// points at (main, module, types, bin, exports, typesVersions) is missing or empty.
// A pack taken while tsup was still writing dist shipped no .d.ts at all: every import
// of the tarball failed with TS7016 and nothing said so when it was packed.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Every path string under `value`, with where it was found; `*` patterns are skipped. */
function* pathsIn(value, where) {
  if (typeof value === 'string') {
    if (value.startsWith('./') && !value.includes('*')) yield [value, where];
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* pathsIn(v, `${where}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* pathsIn(v, `${where}[${JSON.stringify(k)}]`);
  }
}

/** Problems of the package in `dir` (empty: ready to pack). */
export function packedFileProblems(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const problems = [];
  for (const field of ['main', 'module', 'types', 'typings', 'bin', 'exports', 'typesVersions']) {
    if (pkg[field] === undefined) continue;
    // `main` and friends may be written without ./ (npm's own form).
    const value = typeof pkg[field] === 'string' && !pkg[field].startsWith('./') ? `./${pkg[field]}` : pkg[field];
    for (const [path, where] of pathsIn(value, field)) {
      let size;
      try {
        size = statSync(join(dir, path)).size;
      } catch {
        problems.push(`${path} (${where}) does not exist`);
        continue;
      }
      if (size === 0) problems.push(`${path} (${where}) is empty`);
    }
  }
  return { name: pkg.name, problems };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const dir = process.argv[2] ?? process.cwd();
  const { name, problems } = packedFileProblems(dir);
  if (problems.length > 0) {
    console.error(
      `prepack: ${name} is not ready to pack:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        `Build it first and let the build finish: pnpm --filter ${name} build`,
    );
    process.exit(1);
  }
}
