// createChaosProxy() and the `proxy` CLI took shaping values the setters refuse:
// latencyMs NaN forwarded nothing (and re-armed a 1 ms timer forever), bytesPerSec 0 /
// --bandwidth 0 silently meant "unlimited", and --latency 100.5 meant 100.5 s.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { createChaosProxy } from '../src/proxy/chaosProxy';

async function rejectsTyped(p: Promise<{ close(): Promise<void> }>): Promise<string> {
  try {
    await (await p).close();
    return 'accepted';
  } catch (e) {
    return isStormError(e, 'BAD_OPTION') ? 'BAD_OPTION' : String(e);
  }
}

function parsed(argv: string[]): string {
  try {
    return `accepted: ${JSON.stringify(parseCommand(argv))}`;
  } catch (e) {
    return isStormError(e, 'BAD_OPTION') ? 'BAD_OPTION' : String(e);
  }
}

const target = 'ws://127.0.0.1:9';

describe('chaos proxy construction options are validated like the setters', () => {
  it('refuses latencyMs NaN or < 0 and bytesPerSec ≤ 0 or NaN with BAD_OPTION, before listening', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    expect(await rejectsTyped(createChaosProxy({ target, latencyMs: Number.NaN }))).toBe('BAD_OPTION');
    expect(await rejectsTyped(createChaosProxy({ target, latencyMs: -100 }))).toBe('BAD_OPTION');
    expect(await rejectsTyped(createChaosProxy({ target, bytesPerSec: 0 }))).toBe('BAD_OPTION');
    expect(await rejectsTyped(createChaosProxy({ target, bytesPerSec: Number.NaN }))).toBe('BAD_OPTION');
    expect(servers()).toBe(before);
  });

  it('still takes 0 latency, a positive cap and null', async () => {
    expect(await rejectsTyped(createChaosProxy({ target, latencyMs: 0, bytesPerSec: null }))).toBe('accepted');
    expect(await rejectsTyped(createChaosProxy({ target, latencyMs: 12.5, bytesPerSec: 16_000 }))).toBe('accepted');
  });
});

describe('proxy CLI shaping flags', () => {
  const proxy = ['proxy', '--listen', '0', '--target', target];

  it('--bandwidth 0 (or negative, or not a number) is a usage error; off lifts the cap', () => {
    expect(parsed([...proxy, '--bandwidth', '0'])).toBe('BAD_OPTION');
    expect(parsed([...proxy, '--bandwidth', '-5'])).toBe('BAD_OPTION');
    expect(parsed([...proxy, '--bandwidth', 'fast'])).toBe('BAD_OPTION');
    const off = parseCommand([...proxy, '--bandwidth', 'off']);
    expect(off.kind === 'proxy' && off.bytesPerSec).toBeNull();
    const cap = parseCommand([...proxy, '--bandwidth', '16000']);
    expect(cap.kind === 'proxy' && cap.bytesPerSec).toBe(16000);
  });

  it('--latency takes ms, decimals included (100.5 is 100.5 ms, not 100.5 s); units still work', () => {
    const latency = (text: string) => {
      const c = parseCommand([...proxy, '--latency', text]);
      return c.kind === 'proxy' ? c.latencyMs : undefined;
    };
    expect(latency('100')).toBe(100);
    expect(latency('100.5')).toBeLessThan(1000);
    expect(latency('100.5')).toBe(101); // rounded to whole ms, like every duration flag
    expect(latency('2s')).toBe(2000);
    expect(latency('250ms')).toBe(250);
  });
});
