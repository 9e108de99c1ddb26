// `--report storm.html` under `pnpm --filter @lifeline/storm exec` landed in packages/storm
// (pnpm runs the bin there) with nothing said about where: the CLI now prints the
// absolute path of every file it writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe('--report / --json with a relative path', () => {
  it('writes into the current directory and prints the absolute path of each file', (ctx) => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build; pnpm test builds first)');
      ctx.skip();
    }
    const cwd = mkdtempSync(path.join(tmpdir(), 'storm-report-'));
    try {
      const r = spawnSync(process.execPath, [bin, 'blip', '--clients', '5', '--channels', '1', '--report', 'r.html', '--json', 'r.json'], {
        cwd,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`report written to ${path.join(cwd, 'r.html')}\n`);
      expect(r.stderr).toContain(`JSON written to ${path.join(cwd, 'r.json')}\n`);
      expect(readFileSync(path.join(cwd, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/i);
      expect(JSON.parse(readFileSync(path.join(cwd, 'r.json'), 'utf8'))).toMatchObject({ scenario: 'blip', clients: 5, lost: 0 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
