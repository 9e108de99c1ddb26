// Trial finding in examples/storm-scenario: REPORT naming a directory passed the up-front
// check (its parent was writable), so the whole rehearsal ran and only then failed to write
// the report; CLIENTS=" 5" ran 5 clients where lifeline-storm --clients refuses padding.
// Both are now refused before the run says it starts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = resolve(__dirname, '../../../examples/storm-scenario/rehearse.mjs');
const dir = mkdtempSync(join(tmpdir(), 'storm-rehearsal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the example with `env`, killed after `limitMs` (a run that started would take ~10 s). */
function rehearse(env: Record<string, string>, limitMs = 5000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, CLIENTS: '5', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (status) => (clearTimeout(timer), done({ status, stdout, stderr })));
  });
}

describe('examples/storm-scenario refuses before the run', () => {
  it('a REPORT that is a directory', async () => {
    const r = await rehearse({ REPORT: dir });
    expect(r.stdout).not.toContain('server killed');
    expect(r.stderr).toContain(`rehearsal: REPORT ${dir} cannot be written (EISDIR)`);
    expect(r.status).toBe(1);
  });

  it('a REPORT in a missing directory', async () => {
    const r = await rehearse({ REPORT: join(dir, 'missing', 'r.html') });
    expect(r.stdout).not.toContain('server killed');
    expect(r.stderr).toContain('cannot be written (ENOENT)');
    expect(r.status).toBe(1);
  });

  it.each([' 5', '5 ', '1e3', '0x10', '+5', ''])('CLIENTS=%j', async (clients) => {
    const r = await rehearse({ CLIENTS: clients, REPORT: join(dir, 'never.html') });
    expect(r.stdout).not.toContain('server killed');
    expect(r.stderr).toContain(`rehearsal: CLIENTS must be a whole number of clients from 1 to 100000, got "${clients}"`);
    expect(r.status).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});
