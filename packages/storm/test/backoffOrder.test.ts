// A trial ran `blip --initial-delay 5s --max-delay 1s`: accepted, and every client's
// delay was the 1 s cap (core caps each delay at maxDelayMs), so the "5 s base" the
// command asked for was never used and nothing said so.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { resolveOptions } from '../src/sim/options';
import { refusal } from './refusal';

describe('a backoff base longer than its cap', () => {
  it('is refused by the CLI, naming both flags, in ms', () => {
    expect(refusal(() => parseCommand(['blip', '--initial-delay', '5s', '--max-delay', '1s']))).toBe(
      '--initial-delay must be at most --max-delay (the cap of every delay: a longer base would be the cap), got 5000 and 1000 (ms)',
    );
    // Against the default cap (30 s) too.
    expect(refusal(() => parseCommand(['blip', '--initial-delay', '40s']))).toMatch(/^--initial-delay must be at most --max-delay .* got 40000 and 30000 \(ms\)$/);
  });

  it('is refused by the library; a base equal to the cap is fine', () => {
    expect(refusal(() => resolveOptions({ scenario: 'restart', initialDelayMs: 2000, maxDelayMs: 1000 }))).toMatch(/^initialDelayMs must be at most maxDelayMs/);
    expect(resolveOptions({ scenario: 'restart', initialDelayMs: 1000, maxDelayMs: 1000 })).toMatchObject({ initialDelayMs: 1000, maxDelayMs: 1000 });
    expect(resolveOptions({ scenario: 'restart', initialDelayMs: 2000 })).toMatchObject({ initialDelayMs: 2000, maxDelayMs: 30_000 });
  });
});
