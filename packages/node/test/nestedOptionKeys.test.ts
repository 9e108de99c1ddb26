import { afterEach, describe, expect, it } from 'vitest';
import { createNodeClient, isLifelineNodeError, type NodeClient, type NodeClientOptions } from '../src/index';

// Keys inside `onError`, `drain()` options and `tls` were not checked: a typo silently kept
// the default (`maxAttempt: 1` still retried 5 times, `timeout: 500` still waited 10 s,
// `rejectUnauthorised: false` still verified). Each is now BAD_OPTION naming the key, before
// any side effect; the valid spellings still work.

const clients: NodeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
const client = (options: Partial<NodeClientOptions> = {}) => {
  const c = createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false, ...options });
  clients.push(c);
  return c;
};

function expectUnknown(error: unknown, of: string, key: string, suggestion?: string) {
  expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
  const e = error as Error & { details?: Record<string, unknown> };
  expect(e.message).toContain(`${of} has no option ${JSON.stringify(key)}`);
  expect(e.details?.key).toBe(key);
  if (suggestion) expect(e.details?.suggestion).toBe(suggestion);
}

const noop = async () => {};

describe('onError keys', () => {
  const cases: Array<[object, string, string, string | undefined]> = [
    [{ policy: 'retry', maxAttempt: 1 }, "onError (policy 'retry')", 'maxAttempt', 'maxAttempts'],
    [{ policy: 'retry', onExhaust: 'dead-letter' }, "onError (policy 'retry')", 'onExhaust', 'onExhausted'],
    [{ policy: 'retry', initialDelayMS: 5 }, "onError (policy 'retry')", 'initialDelayMS', 'initialDelayMs'],
    [{ policy: 'retry', jitter: 'full' }, "onError (policy 'retry')", 'jitter', undefined],
    // 'stop' and 'dead-letter' take no retry settings: they act on the first failure.
    [{ policy: 'stop', maxAttempts: 3 }, "onError (policy 'stop')", 'maxAttempts', undefined],
  ];
  for (const [onError, of, key, suggestion] of cases) {
    it(`consume() refuses ${JSON.stringify(onError)} before subscribing`, async () => {
      const c = client();
      const ch = c.channel('orders');
      await expect(ch.consume(noop, { onError: onError as never })).rejects.toSatisfy((e) => {
        expectUnknown(e, of, key, suggestion);
        return true;
      });
      // Nothing was registered: a valid consume() on the channel then runs (no ALREADY_CONSUMING).
      const ctrl = new AbortController();
      ctrl.abort();
      await expect(ch.consume(noop, { signal: ctrl.signal })).resolves.toBeUndefined();
    });
  }

  it('accepts every documented key of each policy', async () => {
    const c = client();
    const ctrl = new AbortController();
    ctrl.abort();
    const ch = c.channel('orders');
    await ch.consume(noop, {
      signal: ctrl.signal,
      onError: { policy: 'retry', maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2, factor: 2, onExhausted: 'stop' },
    });
    await ch.consume(noop, { signal: ctrl.signal, onError: { policy: 'stop' } });
    await ch.consume(noop, { signal: ctrl.signal, onError: { policy: 'dead-letter' }, deadLetter: noop });
  });
});

describe('drain() keys', () => {
  for (const [key, suggestion] of [
    ['timeout', 'timeoutMs'],
    ['timeoutMS', 'timeoutMs'],
    ['closeCode', undefined],
  ] as const) {
    it(`refuses ${key} before draining: the client keeps working`, async () => {
      const c = client();
      await expect(c.drain({ [key]: 500 } as never)).rejects.toSatisfy((e) => {
        expectUnknown(e, 'drain()', key, suggestion);
        return true;
      });
      // Nothing irreversible happened: iterations may still start, and a valid drain works.
      expect(() => c.channel('orders').messages()).not.toThrow();
      await expect(c.drain({ timeoutMs: 100, code: 1000, reason: 'bye' })).resolves.toMatchObject({ clean: true });
    });
  }
});

describe('tls keys', () => {
  for (const [key, suggestion] of [
    ['rejectUnauthorised', 'rejectUnauthorized'],
    ['serverName', 'servername'],
    ['certs', 'cert'],
    ['port', undefined], // a connection key, not a TLS option: ws takes it from the URL
  ] as const) {
    it(`createNodeClient refuses tls.${key}`, () => {
      let error: unknown;
      try {
        client({ url: 'wss://127.0.0.1:9/v1', tls: { [key]: false } as never });
      } catch (e) {
        error = e;
      }
      expectUnknown(error, 'tls', key, suggestion);
    });
  }

  it('accepts the typed keys and the other tls.connect security options', () => {
    expect(() =>
      client({
        url: 'wss://127.0.0.1:9/v1',
        tls: { rejectUnauthorized: true, servername: 'rt.example.com', minVersion: 'TLSv1.2', checkServerIdentity: () => undefined, ecdhCurve: 'auto' } as never,
      }),
    ).not.toThrow();
  });
});
