// Node holds a timer for at most 2^31−1 ms (~24.8 days); a longer delay (or Infinity)
// fires after 1 ms. So a "very long" latency, a schedule step for next month or a huge
// backoff ran at once. Delays given as options or flags are now refused above the limit
// with BAD_OPTION naming the option; waits storm computes itself are re-armed in steps.
// Fake timers here reproduce Node's rule (a delay above the limit runs after 1 ms).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { refusal } from './refusal';
import { createChaosProxy } from '../src/proxy/chaosProxy';
import { Lane } from '../src/proxy/lane';
import { checkSteps, parseSchedule, runSchedule } from '../src/proxy/schedule';
import { liteClientFactory } from '../src/sim/clients/liteClient';
import { resolveOptions } from '../src/sim/options';
import { Publisher } from '../src/sim/publisher';

const LIMIT = 2 ** 31 - 1;
const target = 'ws://127.0.0.1:9';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('chaos proxy latency and schedule beyond Node\'s longest timer', () => {
  it('createChaosProxy refuses latencyMs above 2^31−1 (and Infinity) before listening; the limit itself is accepted', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    for (const latencyMs of [LIMIT + 1, 30 * 86_400_000, Infinity]) {
      const e = await createChaosProxy({ target, latencyMs }).then(async (p) => (await p.close(), null), (x: unknown) => x);
      expect(isStormError(e, 'BAD_OPTION'), String(latencyMs)).toBe(true);
      expect((e as Error).message).toContain(`latency must be at most ${LIMIT} ms`);
    }
    expect(servers()).toBe(before);
    await (await createChaosProxy({ target, latencyMs: LIMIT })).close();
  });

  it('setLatency refuses the same values', async () => {
    const proxy = await createChaosProxy({ target });
    try {
      expect(refusal(() => proxy.setLatency(LIMIT + 1))).toMatch(/latency must be at most 2147483647 ms/);
      expect(refusal(() => proxy.setLatency(Infinity))).toMatch(/latency must be at most/);
      expect(refusal(() => proxy.setLatency(LIMIT))).toBe('accepted');
    } finally {
      await proxy.close();
    }
  });

  it('a schedule step at or with a latency above the limit is refused (it ran after 1 ms)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const applied: string[] = [];
    const proxy = { cut: () => (applied.push('cut'), 0), blackhole: () => 0, restore: () => {}, setLatency: () => {}, setBandwidth: () => {} };
    expect(refusal(() => runSchedule(proxy, [{ atMs: 30 * 86_400_000, action: 'cut' }]))).toMatch(/atMs must be at most 2147483647 ms/);
    vi.advanceTimersByTime(10);
    expect(applied).toEqual([]);
    expect(refusal(() => checkSteps([{ atMs: Infinity, action: 'cut' }]))).toMatch(/atMs must be at most/);
    expect(refusal(() => checkSteps([{ atMs: 0, action: 'latency', value: LIMIT + 1 }]))).toMatch(/schedule step at 0 ms: latency must be at most/);
    expect(refusal(() => parseSchedule('2147483648:cut'))).toMatch(/atMs must be at most/);
    expect(refusal(() => parseSchedule('0:latency=2147483648'))).toMatch(/latency must be at most/);
    expect(parseSchedule('2147483647:cut,0:latency=2147483647')).toHaveLength(2);
  });

  it('proxy CLI: --latency and --schedule above the limit are usage errors naming the flag', () => {
    const proxy = ['proxy', '--listen', '0', '--target', target];
    expect(refusal(() => parseCommand([...proxy, '--latency', '2147483648']))).toMatch(/^--latency must be at most 2147483647 ms/);
    expect(refusal(() => parseCommand([...proxy, '--latency', '25000000s']))).toMatch(/^--latency must be at most/);
    expect(refusal(() => parseCommand([...proxy, '--schedule', '2147483648:cut']))).toMatch(/atMs must be at most/);
    expect(parseCommand([...proxy, '--latency', '2147483647'])).toMatchObject({ latencyMs: LIMIT });
  });
});

describe('storm options beyond the limit', () => {
  it('resolveOptions refuses initialDelayMs, maxDelayMs and heartbeatMs above 2^31−1', () => {
    for (const name of ['initialDelayMs', 'maxDelayMs', 'heartbeatMs'] as const) {
      expect(refusal(() => resolveOptions({ scenario: 'blip', [name]: LIMIT + 1 }))).toBe(`${name} must be a number in [${name === 'heartbeatMs' ? 50 : 1}, ${LIMIT}], got ${LIMIT + 1}`);
      // A base at the limit needs a cap as long (a base above the cap is refused).
      const cap = name === 'initialDelayMs' ? { maxDelayMs: LIMIT } : {};
      expect(resolveOptions({ scenario: 'blip', [name]: LIMIT, ...cap })[name]).toBe(LIMIT);
    }
  });

  it('the CLI refuses them naming the flag', () => {
    for (const flag of ['--initial-delay', '--max-delay', '--heartbeat']) {
      expect(refusal(() => parseCommand(['blip', flag, '2147484s']))).toMatch(new RegExp(`^${flag} must be a number in \\[\\d+, ${LIMIT}\\], got 2147484000 \\(ms\\)$`));
    }
  });
});

/** The two ends of a lane: `from` emits data, `to` records writes. */
function sockets() {
  const from = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
  const written: Buffer[] = [];
  const to = { destroyed: false, writableEnded: false, write: (c: Buffer) => (written.push(c), true), end() {}, once() {} };
  return { from: from as unknown as Socket, emit: (b: Buffer) => from.emit('data', b), to: to as unknown as Socket, written };
}

describe('waits storm computes itself are re-armed, not fired after 1 ms', () => {
  it('a lane under a tiny bandwidth cap arms no timer past the limit (it re-armed every 1 ms until the slice was due)', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const s = sockets();
    const lane = new Lane(s.from, s.to, () => ({ latencyMs: 0, bytesPerSec: 1e-7 })); // 1 byte: due in 1e10 ms
    s.emit(Buffer.from('x'));
    const armed = vi.spyOn(globalThis, 'setTimeout');
    vi.advanceTimersByTime(100);
    expect(armed).not.toHaveBeenCalled();
    expect(s.written).toEqual([]);
    vi.advanceTimersByTime(1e10);
    expect(Buffer.concat(s.written).toString()).toBe('x');
    lane.dispose();
  });

  it('the lite client keeps a connection whose server announces no heartbeat (2^53−1 ms): its silence timer fired after 1 ms', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let closes = 0;
    let last: { onmessage: ((ev: { data: unknown }) => void) | null } | null = null;
    class FakeSocket {
      readyState = 1;
      onopen = null;
      onmessage: ((ev: { data: unknown }) => void) | null = null;
      onclose = null;
      onerror = null;
      constructor() {
        last = this;
      }
      send(): void {}
      close(): void {
        closes++;
      }
    }
    const hooks = { onOpen: () => {}, onDrop: () => {}, onMessage: () => {}, onGap: () => {} };
    const c = liteClientFactory({ url: 'ws://x/v1', index: 0, channels: ['c'], strategy: 'full', initialDelayMs: 500, maxDelayMs: 30_000, random: () => 0.5, WebSocket: FakeSocket, hooks });
    last!.onmessage!({ data: JSON.stringify({ type: 'welcome', heartbeatMs: Number.MAX_SAFE_INTEGER }) });
    last!.onmessage!({ data: JSON.stringify({ type: 'ping' }) }); // re-arms the silence timer with the welcome's interval
    vi.advanceTimersByTime(1000);
    expect(closes).toBe(0);
    void c.close();
  });

  it('the publisher at a rate below one per 24.8 days publishes once, not every 1 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let acked = 0;
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ offset: ++acked, epoch: 'e' }), { status: 200 }));
    const pub = new Publisher(['a'], 1e-7, () => 'http://127.0.0.1:9', 'run'); // one per 1e10 ms
    pub.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(pub.published[0]).toHaveLength(1);
    const stopping = pub.stop(0);
    await vi.advanceTimersByTimeAsync(10);
    await stopping;
  });
});
