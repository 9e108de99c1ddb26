import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommand, parseDuration, parseVariants } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { resolveOptions } from '../src/sim/options';
import { dial, startEcho, waitFor } from './helpers';

describe('CLI arguments', () => {
  it('maps every documented flag onto the run options', () => {
    const c = parseCommand([
      'drain', '--clients', '10000', '--channels', '3', '--publish-rate', '2', '--strategy', 'equal', '--server-hint', 'off',
      '--admission-rate', '500', '--seed', '42', '--duration', '45s', '--down', '1500ms', '--workers', '2', '--client', 'lite',
      '--json', 'out.json', '--report', 'storm.html',
    ]);
    expect(c).toEqual({
      kind: 'storm',
      options: {
        scenario: 'drain', clients: 10000, channels: 3, publishRate: 2, strategy: 'equal', serverHint: false, admissionRate: 500,
        seed: 42, durationMs: 45000, downMs: 1500, workers: 2, client: 'lite',
      },
      variants: null,
      json: 'out.json',
      report: 'storm.html',
    });
  });

  it('parses --compare lists and the proxy subcommand', () => {
    expect(parseVariants('all', true).map((v) => v.strategy)).toEqual(['full', 'equal', 'decorrelated', 'none']);
    expect(parseVariants('full:hint,full:nohint', true)).toEqual([
      { strategy: 'full', serverHint: true },
      { strategy: 'full', serverHint: false },
    ]);
    expect(parseCommand(['proxy', '--listen', '9000', '--target', 'ws://127.0.0.1:8080', '--latency', '50', '--schedule', '1000:cut'])).toEqual({
      kind: 'proxy', listenPort: 9000, target: 'ws://127.0.0.1:8080', latencyMs: 50, bytesPerSec: null, schedule: [{ atMs: 1000, action: 'cut' }],
    });
    expect(parseDuration('duration', '2m')).toBe(120_000);
    expect(parseDuration('duration', '7')).toBe(7000);
  });

  it('rejects bad input with a typed error naming the problem', () => {
    const bad = (argv: string[], re: RegExp) => {
      let err: unknown;
      try {
        parseCommand(argv);
      } catch (e) {
        err = e;
      }
      expect(isStormError(err, 'BAD_OPTION')).toBe(true);
      expect((err as Error).message).toMatch(re);
    };
    bad(['earthquake'], /unknown scenario/);
    bad(['blip', '--clients', 'many'], /--clients/);
    bad(['blip', '--server-hint', 'maybe'], /--server-hint/);
    bad(['blip', '--duration', 'soon'], /--duration/);
    bad(['blip', '--compare', 'full,chaotic'], /unknown strategy/);
    bad(['proxy', '--listen', '9000'], /--target/);
    bad(['blip', '--frobnicate'], /frobnicate/);
    // Out-of-range values are named by the flag the user typed, not the option behind it.
    bad(['blip', '--duration', '0'], /^--duration must be a number in \[100, 3600000\], got 0 \(ms\)$/);
    bad(['blip', '--clients', '0'], /^--clients must be an integer in \[1, 100000\], got 0$/);
    bad(['blip', '--publish-rate', '5000'], /^--publish-rate must/);
    bad(['blip', '--heartbeat', '10ms'], /^--heartbeat must/);
    expect(() => resolveOptions({ scenario: 'blip', strategy: 'random' as never })).toThrow(/unknown strategy/);
    expect(() => resolveOptions({ scenario: 'blip', clients: 0 })).toThrow(/clients/);
  });
});

const bin = fileURLToPath(new URL('../bin/lifeline-storm.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe('lifeline-storm proxy (the built bin)', () => {
  it('forwards, and cuts on a stdin command', async (ctx) => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build; pnpm test builds first)');
      ctx.skip();
    }
    const echo = await startEcho();
    const child = spawn(process.execPath, [bin, 'proxy', '--listen', '0', '--target', `127.0.0.1:${echo.port}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:(\d+)/.test(out), 15_000, 'proxy banner');
      const port = Number(/listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const c = await dial(port);
      c.socket.write('via-bin');
      await waitFor(() => c.received().toString() === 'via-bin', 10_000, 'echo through the bin');
      child.stdin.write('cut\n');
      await waitFor(() => c.closed(), 10_000, 'cut by command');
      // The answer line reaches our stdout pipe after the socket closes, not always before.
      await waitFor(() => /cut 1 connection/.test(out), 10_000, 'the cut answer line');
      child.stdin.write('quit\n');
      await waitFor(() => child.exitCode !== null, 10_000, 'proxy exit');
      expect(child.exitCode).toBe(0);
    } finally {
      child.kill();
      await echo.close();
    }
  });

  // latency, bandwidth and restore used to print nothing, unlike cut, blackhole and stats.
  it('answers every accepted stdin command with one line saying what is now in force', async (ctx) => {
    if (!built) {
      console.warn('skipping the bin test: dist/cli.js is missing (run pnpm --filter @lifeline/storm build; pnpm test builds first)');
      ctx.skip();
    }
    const echo = await startEcho();
    const child = spawn(process.execPath, [bin, 'proxy', '--listen', '0', '--target', `127.0.0.1:${echo.port}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await waitFor(() => /listening on ws:\/\/127\.0\.0\.1:\d+.*\nlatency 0 ms each way, bandwidth no cap, schedule: none\ncommands: .*\n/.test(out), 15_000, 'proxy banner');
      const answer = async (command: string) => {
        const from = out.length;
        child.stdin.write(`${command}\n`);
        await waitFor(() => out.slice(from).includes('\n'), 10_000, `the answer to "${command}"`);
        return out.slice(from);
      };
      expect(await answer('latency 200')).toBe('latency 200 ms each way, on every connection\n');
      expect(await answer('bandwidth 64000')).toBe('bandwidth 64000 B/s per connection and direction\n');
      expect(await answer('bandwidth off')).toBe('bandwidth off: no cap\n');
      expect(await answer('latency')).toBe('latency 0 ms each way, on every connection\n');
      expect(await answer('blackhole')).toBe('blackholed 0 connection(s); new ones are ignored until restore\n');
      expect(await answer('restore')).toBe('restored: new connections forward again (blackholed ones stay dead); latency and bandwidth unchanged\n');
      expect(await answer('cut')).toBe('cut 0 connection(s)\n');
      expect(JSON.parse(await answer('stats'))).toMatchObject({ accepted: 0, active: 0 });
      // A refused value is answered too, and changes nothing.
      expect(await answer('latency -5')).toBe('error: latency must be ≥ 0 ms, got -5\n');
      // In --bandwidth's words (the same parser), not the library's `or null`.
      expect(await answer('bandwidth 0')).toBe('error: bandwidth wants bytes/s > 0 or off, got "0"\n');
      expect(await answer('latency 1s')).toBe('latency 1000 ms each way, on every connection\n');
      child.stdin.write('quit\n');
      await waitFor(() => child.exitCode !== null, 10_000, 'proxy exit');
      expect(child.exitCode).toBe(0);
    } finally {
      child.kill();
      await echo.close();
    }
  });
});
