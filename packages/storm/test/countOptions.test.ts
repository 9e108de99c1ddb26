import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { resolveOptions, type StormOptions } from '../src/sim/options';

// Counts must be whole numbers: `--clients 1.5` left warm-up waiting for 1.5 ready
// clients until its 30 s deadline, `--seed 1.5` silently ran as seed 1.

function badOption(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isStormError(e, 'BAD_OPTION')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a BAD_OPTION error');
}

describe('whole-number counts', () => {
  it('resolveOptions refuses fractional clients, channels, seed and workers', () => {
    const cases: [Partial<StormOptions>, RegExp][] = [
      [{ clients: 1.5 }, /clients must be an integer/],
      [{ channels: 2.5 }, /channels must be an integer/],
      [{ seed: 1.5 }, /seed must be an integer/],
      [{ workers: 0.5 }, /workers must be an integer/],
    ];
    for (const [o, re] of cases) expect(badOption(() => resolveOptions({ scenario: 'blip', ...o }))).toMatch(re);
  });

  it('the CLI refuses them too, naming the flag', () => {
    for (const flag of ['--clients', '--channels', '--seed', '--workers']) {
      expect(badOption(() => parseCommand(['blip', flag, '1.5']))).toMatch(new RegExp(`${flag} wants a whole number`));
    }
  });

  it('rates stay fractional', () => {
    const c = parseCommand(['blip', '--publish-rate', '0.5', '--admission-rate', '2.5']);
    expect(c.kind === 'storm' && resolveOptions(c.options)).toMatchObject({ publishRate: 0.5, admissionRate: 2.5 });
  });

  it('proxy --listen wants an integer port (0 picks a free one)', () => {
    const proxy = (listen: string) => parseCommand(['proxy', '--listen', listen, '--target', '127.0.0.1:8080']);
    expect(proxy('9000')).toMatchObject({ listenPort: 9000 });
    expect(proxy('0')).toMatchObject({ listenPort: 0 });
    expect(badOption(() => proxy('9000.5'))).toMatch(/--listen wants a port in \[0, 65535\]/);
    expect(badOption(() => proxy('65536'))).toMatch(/--listen wants a port/);
  });
});
