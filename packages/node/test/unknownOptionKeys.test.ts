import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, isLifelineNodeError, memoryCheckpoint, type NodeClient, type NodeClientOptions } from '../src/index';
import { messages } from '../src/messageIterator';
import { CONSUME_OPTION_KEYS, CORE_CLIENT_OPTION_KEYS, MESSAGES_OPTION_KEYS, NODE_OPTION_KEYS } from '../src/optionKeys';
import { FakeChannel } from './fixtures/fakeChannel';
import { thrown } from './fixtures/thrown';

// A mistyped option key used to be ignored without a word: `checkpoints` ran with no
// checkpoint store at all, `highwatermark` kept the default. Unknown keys are refused
// with BAD_OPTION naming the key and, when one is close, the known key it resembles.

const url = 'ws://127.0.0.1:9/v1';
const clients: NodeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
const client = (options: Partial<NodeClientOptions> = {}) => {
  const c = createNodeClient({ url, autoConnect: false, ...options });
  clients.push(c);
  return c;
};

/** Asserts a BAD_OPTION naming `key` and suggesting `suggestion` (none: no "did you mean"). */
function expectUnknown(error: unknown, of: string, key: string, suggestion?: string) {
  expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
  const e = error as Error & { details?: Record<string, unknown> };
  expect(e.message).toContain(`${of} has no option ${JSON.stringify(key)}`);
  expect(e.details?.key).toBe(key);
  if (suggestion) {
    expect(e.message).toContain(`(did you mean ${suggestion}?)`);
    expect(e.details?.suggestion).toBe(suggestion);
  } else {
    expect(e.message).not.toContain('did you mean');
    expect(e.details).not.toHaveProperty('suggestion');
  }
}

describe('createNodeClient refuses an unknown top-level key with BAD_OPTION, before anything connects', () => {
  const typos: Array<[string, string, string | undefined]> = [
    ['checkpoints', 'checkpoint', 'checkpoint'], // a Node option, one letter added
    ['reconect', 'reconnect', 'reconnect'], // a core option, one letter dropped
    ['reconnetc', 'reconnect', 'reconnect'], // two letters swapped
    ['autoconnect', 'autoConnect', 'autoConnect'], // case only
    ['HandshakeTimeoutMS', 'handshakeTimeoutMs', 'handshakeTimeoutMs'], // case only, two letters
    ['ulr', 'url', 'url'], // before the url check: not reported as a missing URL
    ['heartbeats', 'heartbeat', 'heartbeat'],
    ['keepalive', 'keepProcessAlive', undefined], // nothing close: named, and the options listed
    ['keepAlive', 'keepProcessAlive', undefined],
  ];
  for (const [key, meant, suggestion] of typos) {
    it(`${key}${suggestion ? ` → did you mean ${suggestion}` : ' (no close key)'}`, () => {
      const options = { url, autoConnect: false, [key]: meant === 'url' ? url : undefined } as unknown as NodeClientOptions;
      if (key === 'ulr') delete (options as { url?: string }).url;
      const error = thrown(() => clients.push(createNodeClient(options)));
      expectUnknown(error, 'createNodeClient()', key, suggestion);
      expect(error!.message).toContain(`its options: `);
      expect(error!.message).toContain(meant);
    });
  }

  it('a WebSocket keeps its own refusal (it is a known key, not accepted)', () => {
    const error = thrown(() => client({ WebSocket: class {} } as never));
    expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);
    expect(error!.message).toMatch(/^WebSocket is not accepted/);
  });

  it('a mistyped flowControl key is suggested by edit distance too', () => {
    const error = thrown(() => client({ flowControl: { maxBufferedMesages: 10 } as never }));
    expectUnknown(error, 'flowControl', 'maxBufferedMesages', 'maxBufferedMessages');
  });

  it('every documented option is still accepted', () => {
    const all: Required<Omit<NodeClientOptions, 'agent'>> & { agent: string } = {
      url,
      token: 't',
      reconnect: { initialDelayMs: 100 },
      heartbeat: {},
      outbox: {},
      clientId: 'c1',
      clock: createManualClock(),
      random: Math.random,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      autoConnect: false,
      handshakeTimeoutMs: 5_000,
      lifecycle: false,
      agent: 'my-service/1.0',
      headers: { authorization: 'Bearer x' },
      tls: {},
      perMessageDeflate: false,
      maxPayloadBytes: 65_536,
      checkpoint: memoryCheckpoint(),
      keepProcessAlive: false,
      flowControl: { pausedKeepaliveMs: 1_000, maxBufferedMessages: 100 },
    };
    // tls needs a secure URL.
    expect(() => clients.push(createNodeClient({ ...all, url: 'wss://127.0.0.1:9/v1' }))).not.toThrow();
    expect(Object.keys(all).sort()).toEqual(NODE_OPTION_KEYS.filter((k) => k !== 'WebSocket').sort());
  });
});

describe("the core keys list follows core's ClientOptions", () => {
  it("has exactly the keys of interface ClientOptions in core's source", () => {
    // Type level: tsc (the package's typecheck) fails here too when a key is missing or extra.
    const typed: Record<keyof ClientOptions, true> = CORE_CLIENT_OPTION_KEYS;
    const source = readFileSync(fileURLToPath(new URL('../../core/src/types.ts', import.meta.url)), 'utf8');
    const body = /export interface ClientOptions \{\n([\s\S]*?)\n\}/.exec(source)?.[1];
    expect(body, 'interface ClientOptions in packages/core/src/types.ts').toBeDefined();
    const keys = [...body!.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(5);
    expect(Object.keys(typed).sort()).toEqual(keys.sort());
  });
});

describe('messages() refuses an unknown key with BAD_OPTION', () => {
  const typos: Array<[string, string | undefined]> = [
    ['highwatermark', 'highWaterMark'],
    ['lowWatermark', 'lowWaterMark'],
    ['maxUncomitted', 'maxUncommitted'],
    ['autoack', 'autoAck'],
    ['onGaps', 'onGap'],
    ['signl', 'signal'],
    ['batchSize', undefined],
  ];
  for (const [key, suggestion] of typos) {
    it(`channel.messages({ ${key} })${suggestion ? ` → did you mean ${suggestion}` : ''}`, () => {
      const channel = client().channel('orders');
      expectUnknown(thrown(() => channel.messages({ [key]: 8 } as never)), 'messages()', key, suggestion);
    });
  }

  it('standalone messages(): checkpoint is known there, a typo of it is suggested', () => {
    const ch = new FakeChannel<number>();
    expectUnknown(thrown(() => messages(ch.asChannel(), { checkpoints: memoryCheckpoint() } as never)), 'messages()', 'checkpoints', 'checkpoint');
    expectUnknown(thrown(() => messages(ch.asChannel(), { highwatermark: 8 } as never)), 'messages()', 'highwatermark', 'highWaterMark');
    expect(ch.subscribeCount).toBe(0);
  });

  it('channel.messages(): checkpoint is a client option, not an iteration one', () => {
    const channel = client().channel('orders');
    expectUnknown(thrown(() => channel.messages({ checkpoint: memoryCheckpoint() } as never)), 'messages()', 'checkpoint');
  });

  it('every documented option is still accepted (channel and standalone)', () => {
    const all = { signal: new AbortController().signal, highWaterMark: 8, lowWaterMark: 2, autoAck: false, maxUncommitted: 2, onGap: 'continue' as const };
    expect(Object.keys(all).sort()).toEqual([...MESSAGES_OPTION_KEYS].sort());
    const c = client();
    expect(() => c.channel('a').messages(all)).not.toThrow();
    expect(() => messages(new FakeChannel<number>().asChannel(), { ...all, checkpoint: memoryCheckpoint() })).not.toThrow();
  });
});

describe('consume() refuses an unknown key with BAD_OPTION, before anything is subscribed', () => {
  const typos: Array<[string, string | undefined]> = [
    ['highwatermark', 'highWaterMark'],
    ['onErorr', 'onError'],
    ['deadletter', 'deadLetter'],
    ['onRetyr', 'onRetry'],
    ['maxUncomitted', 'maxUncommitted'],
    ['autoAck', undefined], // a messages() option: consume() acknowledges after the handler
  ];
  for (const [key, suggestion] of typos) {
    it(`consume(h, { ${key} })${suggestion ? ` → did you mean ${suggestion}` : ''}`, async () => {
      const channel = client().channel('orders');
      const error = await channel.consume(() => {}, { [key]: 8 } as never).catch((e: unknown) => e);
      expectUnknown(error, 'consume()', key, suggestion);
      // The channel is free: nothing was registered.
      const ac = new AbortController();
      const running = channel.consume(() => {}, { signal: ac.signal });
      ac.abort();
      await expect(running).resolves.toBeUndefined();
    });
  }

  it('every documented option is still accepted', async () => {
    const ac = new AbortController();
    const all = {
      signal: ac.signal,
      highWaterMark: 8,
      lowWaterMark: 2,
      maxUncommitted: 2,
      onGap: 'continue' as const,
      onError: { policy: 'retry' as const, maxAttempts: 2, onExhausted: 'dead-letter' as const },
      deadLetter: () => {},
      onRetry: () => {},
    };
    expect(Object.keys(all).sort()).toEqual([...CONSUME_OPTION_KEYS].sort());
    const running = client().channel<number>('orders').consume(() => {}, all);
    ac.abort();
    await expect(running).resolves.toBeUndefined();
  });
});
