// Numeric flags went through Number(), which also reads hex, exponents, binary, a sign
// and padding: `proxy --listen 0x10` listened on port 16, `--clients 1e3` ran 1000
// clients, `--seed " 7"` ran seed 7. Only plain decimal digits are taken now.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { consoleAnswer } from '../src/cli/proxyConsole';
import { isStormError } from '../src/errors';
import { createChaosProxy } from '../src/proxy/chaosProxy';

function refusal(argv: string[]): string {
  try {
    return `accepted: ${JSON.stringify(parseCommand(argv))}`;
  } catch (e) {
    return isStormError(e, 'BAD_OPTION') ? e.message : String(e);
  }
}

const proxy = (...more: string[]) => ['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', ...more];
const SPELLINGS = ['0x10', '1e3', '+80', ' 80', '0b1', '0o7', '80 '];

/** Each numeric flag, with argv putting a value in it, what it wants and its range (the hint is for a value in it). */
const FLAGS: [flag: string, argv: (value: string) => string[], wants: string, takes: (n: number) => boolean][] = [
  ['--clients', (x) => ['blip', '--clients', x], 'a whole number in [1, 100000]', (n) => n >= 1 && n <= 100_000],
  ['--channels', (x) => ['blip', '--channels', x], 'a whole number in [1, 100]', (n) => n >= 1 && n <= 100],
  ['--seed', (x) => ['blip', '--seed', x], 'a whole number in [0, 4294967295]', () => true],
  ['--workers', (x) => ['blip', '--workers', x], 'a whole number in [0, 16]', (n) => n <= 16],
  ['--publish-rate', (x) => ['blip', '--publish-rate', x], 'a number > 0 and <= 1000', (n) => n > 0 && n <= 1000],
  ['--admission-rate', (x) => ['blip', '--admission-rate', x], 'a number in [1, 9007199254740991]', (n) => n >= 1],
  ['--listen', (x) => ['proxy', '--listen', x, '--target', 'ws://127.0.0.1:9'], 'a port in [0, 65535]', (n) => n <= 65535],
  ['--bandwidth', (x) => proxy('--bandwidth', x), 'bytes/s > 0 or off', (n) => n > 0],
];

const DURATIONS = ['--duration', '--down', '--initial-delay', '--max-delay', '--heartbeat'];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('numeric flags take plain decimal digits only', () => {
  it.each(FLAGS)('%s refuses 0x10, 1e3, +80, " 80" and the like, naming the flag and its range', (flag, argv, wants, takes) => {
    for (const x of SPELLINGS) {
      // The hint only where the value read would be in range (`--channels 1e3` is 1000: not).
      expect(refusal(argv(x)), x).toBe(`${flag} wants ${wants}, got "${x}"${takes(Number(x)) ? ' (plain decimal digits only)' : ''}`);
    }
  });

  it.each(FLAGS)('%s still takes plain digits', (flag, argv) => {
    expect(refusal(argv('16'))).toMatch(/^accepted/);
  });

  it('fractional flags take a decimal part but not a bare one (.5, 5.)', () => {
    const c = parseCommand(['blip', '--publish-rate', '0.5', '--admission-rate', '12.5']);
    expect(c).toMatchObject({ options: { publishRate: 0.5, admissionRate: 12.5 } });
    expect(parseCommand(proxy('--bandwidth', '1000.5'))).toMatchObject({ bytesPerSec: 1000.5 });
    expect(refusal(['blip', '--publish-rate', '.5'])).toBe('--publish-rate wants a number > 0 and <= 1000, got ".5" (plain decimal digits only)');
    expect(refusal(['blip', '--admission-rate', '5.'])).toBe('--admission-rate wants a number in [1, 9007199254740991], got "5." (plain decimal digits only)');
    expect(refusal(proxy('--bandwidth', '.5'))).toBe('--bandwidth wants bytes/s > 0 or off, got ".5" (plain decimal digits only)');
  });

  it('a blank value is refused without the hint (Number("") is 0: --seed "" ran seed 0)', () => {
    expect(refusal(['blip', '--seed', ''])).toBe('--seed wants a whole number in [0, 4294967295], got ""');
    expect(refusal(['proxy', '--listen', '', '--target', 'ws://127.0.0.1:9'])).toBe('--listen wants a port in [0, 65535], got ""');
  });

  it('out-of-range values say the range, without the hint', () => {
    expect(refusal(['blip', '--clients', '1.5'])).toBe('--clients wants a whole number in [1, 100000], got "1.5"');
    expect(refusal(['blip', '--clients', 'many'])).toBe('--clients wants a whole number in [1, 100000], got "many"');
    expect(refusal(['blip', '--workers', '1e-1'])).toBe('--workers wants a whole number in [0, 16], got "1e-1"');
    expect(refusal(['proxy', '--listen', '65536', '--target', 'ws://127.0.0.1:9'])).toBe('--listen wants a port in [0, 65535], got "65536"');
    expect(refusal(['proxy', '--listen', '0x10000', '--target', 'ws://127.0.0.1:9'])).toBe('--listen wants a port in [0, 65535], got "0x10000"');
    expect(refusal(proxy('--bandwidth', '0'))).toBe('--bandwidth wants bytes/s > 0 or off, got "0"');
  });

  it.each(DURATIONS)('%s keeps its units but refuses a padded or non-decimal number', (flag) => {
    for (const x of [' 30s', '30s ', ' 30', '0x10s', '1e3ms', '+5s', '.5s']) {
      expect(refusal(['blip', flag, x]), x).toBe(`${flag} wants a duration like 30s or 500ms, got "${x}" (plain decimal digits only)`);
    }
    expect(refusal(['blip', flag, 'soon'])).toBe(`${flag} wants a duration like 30s or 500ms, got "soon"`);
  });

  it('proxy --latency (bare number = ms) refuses them too; units and decimals still work', () => {
    for (const x of ['0x10', '1e3', '+80', ' 80', '80 ', '.5']) {
      expect(refusal(proxy('--latency', x)), x).toMatch(new RegExp(`^--latency wants ms or a duration like 200, 500ms or 1s, got "${escape(x)}" \\(plain decimal digits only\\)$`));
    }
    expect(parseCommand(proxy('--latency', '80'))).toMatchObject({ latencyMs: 80 });
    expect(parseCommand(proxy('--latency', '2.5s'))).toMatchObject({ latencyMs: 2500 });
  });
});

describe('proxy console numbers', () => {
  it('latency, bandwidth and cut refuse 0x10 / 1e3 / +80 and change nothing; latency and bandwidth in the flags\' words', async () => {
    const p = await createChaosProxy({ target: 'ws://127.0.0.1:9' });
    try {
      for (const x of ['0x10', '1e3', '+80', '0b1', '.5']) {
        expect(consoleAnswer(p, `latency ${x}`)).toBe(`error: latency wants ms or a duration like 200, 500ms or 1s, got "${x}" (plain decimal digits only)\n`);
        expect(consoleAnswer(p, `bandwidth ${x}`)).toBe(`error: bandwidth wants bytes/s > 0 or off, got "${x}" (plain decimal digits only)\n`);
        expect(consoleAnswer(p, `cut ${x}`)).toBe(`error: cut wants a decimal number, got "${x}" (plain decimal digits only)\n`);
      }
      expect(p.stats()).toMatchObject({ cut: 0 });
      expect(consoleAnswer(p, 'latency 12.5')).toBe('latency 13 ms each way, on every connection\n'); // whole ms, as --latency
      expect(consoleAnswer(p, 'bandwidth 16000')).toBe('bandwidth 16000 B/s per connection and direction\n');
      expect(consoleAnswer(p, 'cut 0.5')).toBe('cut 0 connection(s)\n');
      expect(consoleAnswer(p, 'latency -5')).toBe('error: latency must be ≥ 0 ms, got -5\n');
      expect(consoleAnswer(p, 'cut -1')).toBe('error: cut fraction must be in [0, 1], got -1\n');
    } finally {
      await p.close();
    }
  });
});
