// Trial finding: the proxy console refused `latency 1s` ("latency wants a decimal number")
// while `proxy --latency 1s` took it: two parsers for one value. Both now go through
// parseLatency, so the console takes (and refuses) what the flag does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { consoleAnswer } from '../src/cli/proxyConsole';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { refusal } from './refusal';

const flag = (text: string) => {
  const c = parseCommand(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', '--latency', text]);
  return c.kind === 'proxy' ? c.latencyMs : undefined;
};

describe('the proxy console\'s latency takes what --latency takes', () => {
  let p: ChaosProxy;
  beforeAll(async () => {
    p = await createChaosProxy({ target: 'ws://127.0.0.1:9' });
  });
  afterAll(() => p.close());

  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['0.25s', 250],
    ['2m', 120_000],
    ['200', 200],
    ['100.5', 101],
    ['0', 0],
  ])('latency %s is %i ms, on the console as with the flag', (text, ms) => {
    expect(flag(text)).toBe(ms);
    expect(consoleAnswer(p, `latency ${text}`)).toBe(`latency ${ms} ms each way, on every connection\n`);
  });

  it.each(['soon', '1h', '0x10', '1e3s', '-5', '-1s', '2147483648', '25000000s'])('latency %s is refused by both, in the same words', (text) => {
    const message = refusal(() => flag(text));
    expect(message).toMatch(/^--latency /);
    expect(consoleAnswer(p, `latency ${text}`)).toBe(`error: ${message.replace(/^--latency/, 'latency')}\n`);
  });

  it('a refused value changes nothing, and no value is still 0', () => {
    consoleAnswer(p, 'latency 1s');
    expect(consoleAnswer(p, 'latency 1h')).toBe('error: latency wants ms or a duration like 200, 500ms or 1s, got "1h"\n');
    expect(consoleAnswer(p, 'latency')).toBe('latency 0 ms each way, on every connection\n');
  });
});
