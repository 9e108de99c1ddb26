// A trial ran `blip --compare all --broker foo`: the CLI's checks passed it, the servers
// refused it when they started, and it read "run 1/4 (full:hint) failed: broker must be
// memory, volatile or a redis:// URL" (no `auto`, no flag). `--broker redis://` (no host)
// said "refusing non-loopback Redis " with an empty name.
import { describe, expect, it } from 'vitest';
import { isStormError } from '../src/errors';
import { parseCommand } from '../src/cli/args';
import { resolveOptions } from '../src/sim/options';
import { refusal } from './refusal';

describe('--broker is checked with the other flags, before anything starts', () => {
  it('an unknown broker is refused by its flag, listing every accepted form', () => {
    expect(refusal(() => parseCommand(['blip', '--compare', 'all', '--broker', 'foo']))).toBe(
      '--broker must be memory, volatile, auto or a redis:// URL (e.g. redis://127.0.0.1:6379), got "foo"',
    );
  });

  it('redis:// without a host is BAD_OPTION, without echoing a password', () => {
    expect(refusal(() => parseCommand(['blip', '--broker', 'redis://']))).toBe('--broker must be a redis:// URL with a host, e.g. redis://127.0.0.1:6379, got "redis://"');
    expect(refusal(() => resolveOptions({ scenario: 'blip', broker: 'redis://:hunter2@' }))).toBe(
      'broker must be a redis:// URL with a host, e.g. redis://127.0.0.1:6379, got "redis://***@"',
    );
  });

  it('a non-loopback Redis is NON_LOOPBACK at parse time', () => {
    let e: unknown = null;
    try {
      parseCommand(['restart', '--broker', 'redis://10.0.0.1:6379']);
    } catch (x) {
      e = x;
    }
    expect(isStormError(e, 'NON_LOOPBACK'), String(e)).toBe(true);
    expect((e as Error).message).toBe('refusing non-loopback Redis 10.0.0.1: storm traffic stays on 127.0.0.1 / ::1');
  });

  it('accepts memory, volatile, auto and loopback redis:// URLs', () => {
    for (const broker of ['memory', 'volatile', 'auto', 'redis://127.0.0.1:6379', 'redis://[::1]:6379', 'redis://localhost']) {
      expect(resolveOptions({ scenario: 'blip', broker }).broker).toBe(broker);
    }
  });
});
