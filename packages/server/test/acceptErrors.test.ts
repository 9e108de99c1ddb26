// A process out of file descriptors cannot accept connections. What Node 20 does then was
// tried for real (last test): libuv keeps one spare descriptor for this, and on EMFILE/ENFILE
// closes it, accepts each waiting connection and closes it at once, then takes the spare
// back, telling nobody: no 'error', no 'drop', no callback. The clients see their connection
// closed; the server, nothing. Only when that spare is gone too does libuv hand the error up,
// and Node emits 'error' (syscall 'accept') on the server, once per attempt: that is the one
// hook there is, and it is counted (`acceptErrors`) and logged at most once per interval.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/index';
import type { ServerContext } from '../src/context';
import { onListenerError } from '../src/listenerErrors';
import { OPS_LOG_INTERVAL_MS, OpsLog } from '../src/opsLog';
import { StatsCounter } from '../src/stats';
import { FakeClock } from './helpers/fakeClock';
import { bundleCli } from './helpers/cliBundle';
import { waitFor } from './helpers/waitFor';

interface Line {
  level: keyof Logger;
  msg: string;
  meta?: Record<string, unknown>;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: keyof Logger) => (msg: string, meta?: Record<string, unknown>) => void lines.push({ level, msg, meta });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** The error Node emits on a server for a failed accept (lib/net.js onconnection). */
function acceptError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`accept ${code}`), { code, errno: -24, syscall: 'accept' });
}

describe('accept failures Node reports (unit, fake clock)', () => {
  it('the first of an interval is logged at once, the rest counted into one line when it ends; every one is counted in stats', () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const ops = new OpsLog(logger, clock);
    const stats = new StatsCounter();
    const ctx = { stats, opts: { logger } } as unknown as ServerContext;
    for (let i = 0; i < 1000; i++) onListenerError(ctx, ops, acceptError('EMFILE'));
    expect(stats.acceptErrors).toBe(1000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', meta: { code: 'EMFILE' } });
    expect(lines[0]!.msg).toMatch(/^cannot accept connections: out of file descriptors \(EMFILE\): raise the limit/);
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'error', meta: { failures: { EMFILE: 1000 } } });
    expect(lines[1]!.msg).toMatch(/^cannot accept connections 1000 times in the last 10 s: out of file descriptors \(EMFILE\)/);
    // A quiet interval says nothing; the next failure is said at once again.
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(2);
    onListenerError(ctx, ops, acceptError('ENFILE'));
    expect(lines).toHaveLength(3);
    expect(lines[2]!.msg).toContain('(ENFILE)');
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(3); // only the one, said already
    expect(stats.snapshot().acceptErrors).toBe(1001);
  });

  it('another server error is logged as it comes, not counted as an accept failure', () => {
    const { logger, lines } = capture();
    const stats = new StatsCounter();
    const ctx = { stats, opts: { logger } } as unknown as ServerContext;
    onListenerError(ctx, new OpsLog(logger, new FakeClock()), Object.assign(new Error('boom'), { code: 'EWHATEVER' }));
    expect(stats.acceptErrors).toBe(0);
    expect(lines).toEqual([{ level: 'error', msg: 'http server error', meta: { err: 'Error: boom' } }]);
  });
});

let cliJs = '';
beforeAll(async () => {
  cliJs = await bundleCli('lifeline-accept-test');
}, 30_000);

const sockets: Socket[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

if (process.platform !== 'linux') console.warn(`[skip] acceptErrors: the ulimit experiment needs Linux's libuv accept path (this is ${process.platform})`);
describe.skipIf(process.platform !== 'linux')('out of file descriptors, for real (ulimit -n 64, loopback)', () => {
  it('Node 20 reports nothing: connections past the limit are closed by libuv, acceptErrors stays 0, no line is logged; the server serves again once descriptors free up', async () => {
    const child = spawn('/bin/sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${cliJs}" --port 0 --no-echo`], { stdio: 'pipe' });
    children.push(child);
    const out: string[] = [];
    const err: string[] = [];
    child.stdout!.on('data', (d) => out.push(String(d)));
    child.stderr!.on('data', (d) => err.push(String(d)));
    const line = await waitFor(() => out.join('').match(/listening on ws:\/\/127\.0\.0\.1:(\d+)/), 'the listening line', 15_000);
    const port = Number(line[1]);

    // 100 plain TCP connections that send nothing: the server holds each open (waiting for
    // a request) until its descriptors run out.
    let closedByServer = 0;
    await Promise.all(
      Array.from({ length: 100 }, () => new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve());
        s.on('error', () => resolve());
        s.on('close', () => closedByServer++);
        sockets.push(s);
      })),
    );
    await waitFor(() => closedByServer > 0, 'libuv to close the connections it cannot keep', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(closedByServer).toBeGreaterThan(30); // 64 descriptors, ~20 the process itself uses
    expect(closedByServer).toBeLessThan(100);

    for (const s of sockets) s.destroy();
    let metrics: string | undefined;
    for (const deadline = Date.now() + 10_000; metrics === undefined && Date.now() < deadline; ) {
      metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => (res.ok ? res.text() : undefined), () => undefined);
      if (metrics === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    // If this ever says otherwise, Node started reporting these (update the README's "Out of file descriptors").
    expect(metrics).toMatch(/^lifeline_accept_errors_total 0$/m);
    expect(err.join('')).not.toMatch(/cannot accept|http server error/);
    expect(child.exitCode).toBeNull();
  }, 40_000);
});
