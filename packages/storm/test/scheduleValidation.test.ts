// A chaos schedule step with a bad value used to be accepted and then throw inside a
// timer (the `proxy` CLI printed its banner, forwarded a while, then died with an
// uncaught exception); createChaosProxy also listened before arming its schedule, so a
// refused schedule left its server listening. Steps are now checked up front.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isStormError } from '../src/errors';
import { createChaosProxy } from '../src/proxy/chaosProxy';
import { checkSteps, parseSchedule, type ChaosStep } from '../src/proxy/schedule';

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

function code(f: () => unknown): string {
  try {
    return `accepted: ${JSON.stringify(f())}`;
  } catch (e) {
    return isStormError(e) ? e.code : String(e);
  }
}

function runBin(args: string[], ms: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGTERM'), ms); // bounded: a proxy runs until a signal
    p.on('exit', (c) => {
      clearTimeout(t);
      resolve({ code: c, out, err });
    });
  });
}

describe('chaos schedule values are validated up front', () => {
  it('parseSchedule refuses a latency that is not a number and a zero bandwidth (BAD_OPTION)', () => {
    expect(code(() => parseSchedule('100:latency=abc'))).toBe('BAD_OPTION');
    expect(code(() => parseSchedule('100:bandwidth=0'))).toBe('BAD_OPTION');
  });

  it('parseSchedule takes values in plain decimal digits only (0x10 and 1e3 were read as 16 and 1000)', () => {
    for (const step of ['100:latency=0x10', '100:latency=1e3', '100:bandwidth=0x10', '100:bandwidth=1e3', '100:latency=0b1']) {
      expect(() => parseSchedule(step)).toThrow(/plain decimal digits only/);
      expect(code(() => parseSchedule(step))).toBe('BAD_OPTION');
    }
    expect(parseSchedule('0:latency=0,100:bandwidth=off,200:bandwidth=16000')).toEqual([
      { atMs: 0, action: 'latency', value: 0 },
      { atMs: 100, action: 'bandwidth', value: null },
      { atMs: 200, action: 'bandwidth', value: 16000 },
    ]);
  });

  it('checkSteps uses the setters\' rules: latency ≥ 0, bandwidth > 0 or null, atMs ≥ 0', () => {
    const bad: ChaosStep[] = [
      { atMs: 0, action: 'latency', value: -1 },
      { atMs: 0, action: 'latency', value: Number.NaN },
      { atMs: 0, action: 'bandwidth', value: 0 },
      { atMs: 0, action: 'bandwidth', value: Number.NaN },
      { atMs: -1, action: 'cut' },
      { atMs: 0, action: 'explode' } as unknown as ChaosStep,
    ];
    for (const s of bad) expect(code(() => checkSteps([s])), JSON.stringify(s)).toBe('BAD_OPTION');
    expect(() => checkSteps([{ atMs: 0, action: 'bandwidth', value: null }, { atMs: 5, action: 'latency', value: 0 }])).not.toThrow();
  });

  it('proxy.schedule() with a negative latency throws at the call, not later inside a timer', async () => {
    const proxy = await createChaosProxy({ target: 'ws://127.0.0.1:9' });
    let threw = false;
    let cancel: (() => void) | null = null;
    try {
      cancel = proxy.schedule([{ atMs: 50, action: 'latency', value: -1 }]);
    } catch (e) {
      threw = isStormError(e, 'BAD_OPTION');
    }
    cancel?.(); // keep a bad step from crashing this test process
    await proxy.close();
    expect(threw).toBe(true);
  });

  it('`lifeline-storm proxy --schedule 100:bandwidth=0` is a usage error, not a crash after it started forwarding', async () => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build)');
      return;
    }
    const r = await runBin(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', '--schedule', '100:bandwidth=0'], 3000);
    expect(r.out).not.toMatch(/listening on/);
    expect(r.err).toMatch(/\[BAD_OPTION\]/);
    expect(r.err).not.toMatch(/at applyStep|Timeout\._onTimeout/);
    expect(r.code).toBe(1);
  });
});

describe('a refused schedule leaves no listening socket behind', () => {
  it('createChaosProxy({ schedule: [bad step] }) rejects without leaving its server listening', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    await expect(createChaosProxy({ target: 'ws://127.0.0.1:9', schedule: [{ atMs: -1, action: 'cut' }] })).rejects.toThrow(/atMs/);
    await expect(createChaosProxy({ target: 'ws://127.0.0.1:9', schedule: [{ atMs: 10, action: 'bandwidth', value: 0 }] })).rejects.toThrow(/bandwidth/);
    expect(servers()).toBe(before);
  });
});
