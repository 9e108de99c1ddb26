// The proxy's lanes push back on the sender past a high-water mark of queued bytes
// (createChaosProxy's queueHighWaterMark); the CLI had no way to set it, so a proxy with a
// long latency was held to 1 MiB per latency per direction whatever the user needed.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';

function refusal(argv: string[]): string {
  try {
    parseCommand(argv);
    return 'accepted';
  } catch (e) {
    return isStormError(e, 'BAD_OPTION') ? (e as Error).message : String(e);
  }
}

describe('lifeline-storm proxy --queue-bytes', () => {
  it('sets the high-water mark, and is left out when not given (the 1 MiB default)', () => {
    expect(parseCommand(['proxy', '--listen', '0', '--target', '127.0.0.1:9', '--queue-bytes', '4194304'])).toMatchObject({ kind: 'proxy', queueHighWaterMark: 4_194_304 });
    expect(parseCommand(['proxy', '--listen', '0', '--target', '127.0.0.1:9'])).not.toHaveProperty('queueHighWaterMark');
  });

  it('refuses what is not a whole number of bytes > 0, and a scenario run refuses it', () => {
    for (const bad of ['0', '-1', '1.5', '1e6', 'lots']) {
      expect(refusal(['proxy', '--listen', '0', '--target', '127.0.0.1:9', '--queue-bytes', bad])).toMatch(/--queue-bytes wants a whole number of bytes > 0/);
    }
    expect(refusal(['blip', '--queue-bytes', '1024'])).toMatch(/--queue-bytes is an option of lifeline-storm proxy/);
  });
});
