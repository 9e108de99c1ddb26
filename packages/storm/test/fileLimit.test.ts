import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StormError, isStormError } from '../src/errors';
import { resolveOptions } from '../src/sim/options';
import { stormRefusal } from './helpers';
import { asFileLimitError, checkOpenFileLimit, fileNeeds, readOpenFileLimit } from '../src/sim/fileLimit';

const refusal = stormRefusal;

describe('open-file limit preflight (P1-1)', () => {
  it('refuses the default run at the common 1024 limit, naming ulimit -n and --workers', () => {
    const o = resolveOptions({ scenario: 'restart' }); // 1000 clients, 2 workers, embedded server
    const e = refusal(() => checkOpenFileLimit(o, 1024));
    expect(e.code).toBe('FILE_LIMIT');
    expect(e.message).toMatch(/ulimit -n/);
    expect(e.message).toMatch(/--workers/);
    expect(e.message).toMatch(/is 1024/);
  });

  it('drain (no proxy) is refused too: the servers hold a socket per client in this process', () => {
    const o = resolveOptions({ scenario: 'drain' });
    expect(refusal(() => checkOpenFileLimit(o, 1024)).message).toMatch(/embedded servers/);
  });

  it('names the fewest workers that fit when more processes would help', () => {
    // external target: this process holds no server sockets; 500 clients × 3 sockets per worker does not fit
    const o = resolveOptions({ scenario: 'blip', clients: 1000, workers: 2, target: 'ws://127.0.0.1:9' });
    const e = refusal(() => checkOpenFileLimit(o, 1024));
    expect(e.message).toMatch(/--workers 4\b/);
    expect(checkOpenFileLimit({ ...o, workers: 4 }, 1024)).toBeNull();
  });

  it('counts client, proxy and server sockets per process', () => {
    expect(fileNeeds({ scenario: 'blip', clients: 100, workers: 0, target: undefined })).toMatchObject({ perClient: 3, inProcess: true, thisProcess: 100 * 4 + 64 });
    expect(fileNeeds({ scenario: 'drain', clients: 100, workers: 2, target: undefined })).toMatchObject({ perClient: 1, clientsPerProcess: 50, clientProcess: 50 + 64, thisProcess: 100 + 64 });
  });

  it('passes a run that fits, and skips the check with a note where the limit cannot be read', () => {
    const o = resolveOptions({ scenario: 'blip', clients: 100 });
    expect(checkOpenFileLimit(o, 20_000)).toBeNull();
    expect(checkOpenFileLimit(o, Infinity)).toBeNull();
    expect(checkOpenFileLimit(o, null)).toMatch(/not checked/);
  });

  it('reads the soft limit this process runs under', async () => {
    if (process.platform === 'win32') return;
    const shell = await new Promise<string>((r, j) => execFile('/bin/sh', ['-c', 'ulimit -n'], (err, out) => (err ? j(err) : r(out.trim()))));
    expect(readOpenFileLimit()).toBe(shell === 'unlimited' ? Infinity : Number(shell));
  });

  it('turns EMFILE during a run into a typed error, not a stack trace', () => {
    const listen = Object.assign(new Error('listen EMFILE: too many open files 127.0.0.1'), { code: 'EMFILE' });
    const e = asFileLimitError(listen);
    expect(isStormError(e, 'FILE_LIMIT')).toBe(true);
    expect((e as Error).message).toMatch(/ulimit -n.*--workers/);
    const wrapped = new StormError('RUN_FAILED', 'client shard process died', { cause: listen });
    expect(isStormError(asFileLimitError(wrapped), 'FILE_LIMIT')).toBe(true);
    const stopped = new StormError('INTERRUPTED', 'run interrupted');
    expect(asFileLimitError(stopped)).toBe(stopped);
    const other = new Error('boom');
    expect(asFileLimitError(other)).toBe(other);
    // The warm-up's failure, whose clients saw connect EMFILE, is said as the limit too.
    const warmup = new StormError('RUN_FAILED', 'only 668/1000 clients connected during warm-up (…; errors: connect EMFILE 127.0.0.1:4000 - Local (undefined:undefined) ×332; …)');
    const said = asFileLimitError(warmup) as StormError;
    expect(said.code).toBe('FILE_LIMIT');
    expect(said.message).toMatch(/only 668\/1000.*ulimit -n/);
  });
});

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe('lifeline-storm under a low ulimit -n (the built bin)', () => {
  it.skipIf(process.platform === 'win32')('refuses at once with FILE_LIMIT, before starting anything', async () => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build)');
      return;
    }
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      execFile('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${bin}" blip --clients 200 --workers 0 --duration 2s`], { timeout: 20_000 }, (err, _out, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, err: stderr });
      });
    });
    expect(r.err).toMatch(/\[FILE_LIMIT\]/);
    expect(r.err).toMatch(/ulimit -n/);
    expect(r.err).not.toMatch(/unexpected failure|    at /);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);
});
