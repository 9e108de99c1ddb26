import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * The installed @lifeline/storm's version, from its package.json (found above this file,
 * whether it runs from dist/ or src/), or 'unknown' if it cannot be read. Recorded in
 * every result, so a report says which storm produced it.
 */
export function stormVersion(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 4; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@lifeline/storm' && typeof pkg.version === 'string') {
          cached = pkg.version;
          break;
        }
      } catch {
        // no package.json here: one level up
      }
      dir = dirname(dir);
    }
  } catch {
    // no file URL (bundled elsewhere): unknown
  }
  return cached;
}
