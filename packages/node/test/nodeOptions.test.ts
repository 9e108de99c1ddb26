import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLifelineError } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createNodeClient, isLifelineNodeError, SocketFlow, type NodeClientOptions } from '../src/index';

// Every Node option is checked when the client is created: a value `ws` or Node would
// refuse at connect time used to fail each attempt (CONNECTION_REFUSED, retried for
// ever), and some were taken silently (maxPayloadBytes NaN = no limit at all, TLS
// options on a plaintext ws:// URL ignored).

let connections = 0;
let url: string;
const net = createNetServer((socket) => {
  connections += 1;
  socket.destroy();
});
beforeAll(async () => {
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(net.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise<void>((r) => net.close(() => r()));
});

function refused(options: Partial<NodeClientOptions>) {
  try {
    const client = createNodeClient({ url, ...options } as NodeClientOptions);
    void client.close();
    return null;
  } catch (error) {
    return error as Error & { code?: string };
  }
}

const bad: Array<[string, Partial<NodeClientOptions>, RegExp]> = [
  ['handshakeTimeoutMs NaN', { handshakeTimeoutMs: NaN }, /handshakeTimeoutMs/],
  ['handshakeTimeoutMs negative', { handshakeTimeoutMs: -1 }, /handshakeTimeoutMs/],
  ['handshakeTimeoutMs 0 (every attempt timed out at once)', { handshakeTimeoutMs: 0 }, /handshakeTimeoutMs/],
  ['handshakeTimeoutMs Infinity (Node fires it after 1 ms)', { handshakeTimeoutMs: Infinity }, /handshakeTimeoutMs/],
  ['handshakeTimeoutMs as text', { handshakeTimeoutMs: '5000' as unknown as number }, /handshakeTimeoutMs/],
  ['maxPayloadBytes NaN (ws: no limit)', { maxPayloadBytes: NaN }, /maxPayloadBytes/],
  ['maxPayloadBytes 0 (ws: no limit)', { maxPayloadBytes: 0 }, /maxPayloadBytes/],
  ['maxPayloadBytes 4 GiB (ws: wraps to no limit)', { maxPayloadBytes: 2 ** 32 }, /maxPayloadBytes/],
  ['perMessageDeflate as text', { perMessageDeflate: 'yes' as unknown as boolean }, /perMessageDeflate/],
  ['headers not an object', { headers: 'authorization: x' as unknown as Record<string, string> }, /headers/],
  ['a header value with a newline (a token file read as is)', { headers: { authorization: 'Bearer abc\n' } }, /authorization/],
  ['a header name with a space', { headers: { 'x service': 'billing' } }, /x service/],
  ['a header without a value', { headers: { 'x-retries': undefined as unknown as string } }, /x-retries/],
  ['tls options on a plaintext ws:// URL', { tls: { rejectUnauthorized: true } }, /tls.*wss/],
  ['an https.Agent on a ws:// URL', { agent: new HttpsAgent() }, /agent/],
  ['an agent that is neither an Agent nor a string', { agent: 42 as unknown as string }, /agent/],
  ['a URL that does not parse', { url: 'not a url' }, /url/],
  ['a URL with another protocol', { url: 'ftp://127.0.0.1/v1' }, /url/],
  ['flowControl.pausedKeepaliveMs NaN (a ping every 1 ms)', { flowControl: { pausedKeepaliveMs: NaN } }, /pausedKeepaliveMs/],
  ['flowControl.pausedKeepaliveMs 0', { flowControl: { pausedKeepaliveMs: 0 } }, /pausedKeepaliveMs/],
  ['flowControl.maxBufferedMessages NaN (never reads for an ack)', { flowControl: { maxBufferedMessages: NaN } }, /maxBufferedMessages/],
  ['flowControl.maxBufferedMessages 0', { flowControl: { maxBufferedMessages: 0 } }, /maxBufferedMessages/],
  ['flowControl null (a raw TypeError)', { flowControl: null as never }, /flowControl must be an object.*null/],
  ["flowControl as text (taken as no options)", { flowControl: 'x' as never }, /flowControl must be an object/],
  [
    'flowControl with a mistyped key (pausedKeepAliveMs: the default was kept silently)',
    { flowControl: { pausedKeepAliveMs: 5_000 } as never },
    /"pausedKeepAliveMs".*did you mean pausedKeepaliveMs/,
  ],
  ['flowControl with an unknown key', { flowControl: { maxBuffered: 10 } as never }, /flowControl has no option "maxBuffered"/],
  ['keepProcessAlive as text', { keepProcessAlive: 'no' as unknown as boolean }, /keepProcessAlive/],
  ['a checkpoint store without load/save', { checkpoint: {} as never }, /checkpoint/],
];

describe('createNodeClient refuses invalid Node options with BAD_OPTION, before any connection attempt', () => {
  it('no options, or options that are not an object (a raw TypeError on url)', () => {
    for (const options of [undefined, null, 'ws://127.0.0.1/v1', []]) {
      let error: unknown = null;
      try {
        createNodeClient(options as never);
      } catch (e) {
        error = e;
      }
      expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/createNodeClient\(\) options must be an object/);
    }
  });

  for (const [what, options, names] of bad) {
    it(what, async () => {
      const before = connections;
      const error = refused(options);
      expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
      expect(error!.message).toMatch(names);
      await new Promise((r) => setImmediate(r));
      expect(connections).toBe(before);
    });
  }

  it('an http.Agent on a wss:// URL (Node refuses the protocol on every attempt)', () => {
    const error = refused({ url: url.replace('ws:', 'wss:'), agent: new HttpAgent() });
    expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);
    expect(error!.message).toMatch(/agent/);
  });

  it('a WebSocket class passed from JavaScript (it was silently replaced by the adapter\'s ws)', async () => {
    const before = connections;
    let constructed = 0;
    class OwnSocket {
      constructor() {
        constructed += 1;
      }
    }
    const error = refused({ WebSocket: OwnSocket } as Partial<NodeClientOptions>);
    expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
    // Says why, and what to use instead.
    expect(error!.message).toMatch(/supplies its own ws/);
    expect(error!.message).toMatch(/@lifeline\/core's createClient/);
    expect(error!.message).toMatch(/headers\/agent/);
    await new Promise((r) => setImmediate(r));
    expect(connections).toBe(before);
    expect(constructed).toBe(0);
    // A spread that carries the key with no value chose no socket: nothing to refuse.
    expect(refused({ autoConnect: false, WebSocket: undefined } as Partial<NodeClientOptions>)).toBeNull();
  });

  it('accepts what the README documents: valid values, the matching agent, tls on wss://, a header function', () => {
    const ok: Array<Partial<NodeClientOptions>> = [
      { handshakeTimeoutMs: 2_000, maxPayloadBytes: 65_536, perMessageDeflate: { threshold: 1024 } },
      { agent: new HttpAgent({ keepAlive: true }), headers: { authorization: 'Bearer x', 'x-service': 'billing' } },
      { url: url.replace('ws:', 'wss:'), agent: new HttpsAgent(), tls: { rejectUnauthorized: false, servername: 'rt' } },
      { agent: 'billing-worker/2.0', headers: () => ({ authorization: 'Bearer rotated' }) },
      { url: url.replace('ws:', 'http:'), flowControl: { pausedKeepaliveMs: 5_000, maxBufferedMessages: 100 } },
      { checkpoint: null, keepProcessAlive: false, autoConnect: false },
    ];
    for (const options of ok) expect(refused({ autoConnect: false, ...options })).toBeNull();
  });

  it("core's options pass through: createClient's BAD_ARGUMENT for a NaN reconnect delay or a mistyped heartbeat", () => {
    for (const options of [{ reconnect: { initialDelayMs: NaN } }, { heartbeat: { timeoutMs: '30000' as unknown as number } }, { outbox: { maxMessages: -1 } }]) {
      const error = refused(options);
      expect(isLifelineError(error) && error.code, String(error)).toBe('BAD_ARGUMENT');
    }
  });
});

describe('SocketFlow checks its own options (it is exported)', () => {
  it('refuses a NaN, zero or overflowing keepalive period and a bad buffer bound', () => {
    const clock = createManualClock();
    for (const options of [{ pausedKeepaliveMs: NaN }, { pausedKeepaliveMs: 0 }, { pausedKeepaliveMs: 2 ** 31 }, { maxBufferedMessages: 1.5 }, { maxBufferedMessages: -1 }]) {
      expect(() => new SocketFlow(clock, options)).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    }
    expect(() => new SocketFlow(clock, { pausedKeepaliveMs: 1, maxBufferedMessages: 1 })).not.toThrow();
  });
});
