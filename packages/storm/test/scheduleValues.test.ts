// Trial finding: `proxy --schedule 5:latency=1s` was refused ("plain decimal digits only")
// although `--latency 1s` and the console's `latency 1s` take it, and `1000:bandwidth=1000.5`
// too though `--bandwidth 1000.5` is fine: the schedule had a third parser of its own. A
// step's value now goes through the flags' parsers (same takes, same refusals in the same
// words, named as on the console), and so does its time (a bare number is ms, as
// documented; `500ms`, `5s`, `2m` work too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { consoleAnswer } from '../src/cli/proxyConsole';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { parseSchedule } from '../src/proxy/schedule';
import { refusal } from './refusal';

const proxyArgs = ['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9'];
const flags = (...more: string[]) => {
  const c = parseCommand([...proxyArgs, ...more]);
  if (c.kind !== 'proxy') throw new Error('not a proxy command');
  return c;
};

describe('a schedule step takes the values --latency / --bandwidth and the console take', () => {
  let p: ChaosProxy;
  beforeAll(async () => {
    p = await createChaosProxy({ target: 'ws://127.0.0.1:9' });
  });
  afterAll(() => p.close());

  it('5:latency=1s is latency 1000 ms at 5 ms, through --schedule too', () => {
    expect(parseSchedule('5:latency=1s')).toEqual([{ atMs: 5, action: 'latency', value: 1000 }]);
    expect(flags('--schedule', '5:latency=1s').schedule).toEqual([{ atMs: 5, action: 'latency', value: 1000 }]);
  });

  it.each(['1s', '500ms', '0.25s', '2m', '200', '100.5', '0'])('latency=%s is what --latency sets', (text) => {
    const ms = flags('--latency', text).latencyMs;
    expect(parseSchedule(`0:latency=${text}`)).toEqual([{ atMs: 0, action: 'latency', value: ms }]);
    expect(consoleAnswer(p, `latency ${text}`)).toBe(`latency ${ms} ms each way, on every connection\n`);
  });

  it.each(['soon', '1h', '0x10', '1e3s', '-5', '-1s', '2147483648', '25000000s', '.5'])('latency=%s is refused in --latency\'s words', (text) => {
    const message = refusal(() => flags('--latency', text)).replace(/^--latency/, 'latency');
    expect(message).not.toBe('accepted');
    expect(refusal(() => parseSchedule(`0:latency=${text}`))).toBe(`schedule step "0:latency=${text}": ${message}`);
    expect(refusal(() => flags('--schedule', `0:latency=${text}`))).toBe(`schedule step "0:latency=${text}": ${message}`);
  });

  it.each(['16000', '1000.5', 'off'])('bandwidth=%s is what --bandwidth sets', (text) => {
    const bytesPerSec = flags('--bandwidth', text).bytesPerSec;
    expect(parseSchedule(`0:bandwidth=${text}`)).toEqual([{ atMs: 0, action: 'bandwidth', value: bytesPerSec }]);
  });

  it.each(['0', 'abc', '-5', '0x10', '1e3', '64kB', 'OFF'])('bandwidth=%s is refused in --bandwidth\'s words', (text) => {
    const message = refusal(() => flags('--bandwidth', text)).replace(/^--bandwidth/, 'bandwidth');
    expect(message).not.toBe('accepted');
    expect(refusal(() => parseSchedule(`0:bandwidth=${text}`))).toBe(`schedule step "0:bandwidth=${text}": ${message}`);
    expect(consoleAnswer(p, `bandwidth ${text}`)).toBe(`error: ${message}\n`);
  });
});

describe('a schedule step\'s time: a bare number is ms, units as --latency takes them', () => {
  it.each([
    ['250', 250],
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['0', 0],
  ])('%s:cut runs at %i ms', (time, atMs) => {
    expect(parseSchedule(`${time}:cut`)).toEqual([{ atMs, action: 'cut' }]);
  });

  it.each(['soon', '1h', '0x10', '1e3', '+5', '.5s', '-5'])('%s:cut is refused naming the time and what it takes', (time) => {
    expect(refusal(() => parseSchedule(`${time}:cut`))).toMatch(
      new RegExp(`^schedule step "${time.replace(/[.+]/g, '\\$&')}:cut": time wants ms or a duration like 500, 500ms or 2s, got "${time.replace(/[.+]/g, '\\$&')}"`),
    );
  });

  it('a time past Node\'s longest timer is refused, whatever its unit', () => {
    expect(refusal(() => parseSchedule('25000000s:cut'))).toMatch(/^schedule step at 25000000000 ms: atMs must be at most 2147483647 ms/);
  });
});
