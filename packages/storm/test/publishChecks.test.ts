import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { refusal } from './refusal';

const refused = (argv: string[]) => refusal(() => parseCommand(argv));

describe('runs that could check no delivery are refused before they start', () => {
  it('--publish-rate 0 (nothing would be published)', () => {
    expect(refused(['blip', '--publish-rate', '0'])).toBe('--publish-rate must be above 0: a run that publishes nothing checks no delivery (try 0.1)');
    expect(refused(['blip', '--publish-rate', '0.1'])).toBe('accepted');
  });

  it.each(['wss://127.0.0.1:8443', 'https://127.0.0.1:8443', 'WSS://localhost:1'])('--target %s (storm speaks no TLS)', (target) => {
    expect(refused(['blip', '--target', target])).toBe(`--target must be plain ws://, http:// or host:port (storm does not speak TLS), got "${target}"`);
  });

  it('plain targets are still accepted', () => {
    for (const t of ['ws://127.0.0.1:8080', 'http://127.0.0.1:8080', '127.0.0.1:8080']) expect(refused(['blip', '--target', t])).toBe('accepted');
  });
});
