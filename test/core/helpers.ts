import type WebSocketType from 'ws';
import { createRequire } from 'node:module';
import { createClient, type ClientOptions, type LifelineClient } from '@lifeline/core';
import { createServer, type LifelineServer, type ServerOptions } from '@lifeline/server';
import { afterEach } from 'vitest';

/** Node's `ws`, resolved from core's own dependencies. */
export const NodeWS: typeof WebSocketType = createRequire(new URL('../../packages/core/package.json', import.meta.url))('ws');

/** Polls `cond` until true or the (generous) deadline passes. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A seeded PRNG, so spreads are deterministic. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A client with fast reconnects, registered for cleanup. */
export function makeClient(clients: LifelineClient[], url: string, options: Partial<ClientOptions> = {}): LifelineClient {
  const c = createClient({
    url,
    lifecycle: false,
    reconnect: { initialDelayMs: 20, maxDelayMs: 300 },
    ...options,
  });
  clients.push(c);
  return c;
}

/**
 * One test file's reference server and clients, closed after each test (clients first,
 * so none reconnects into a closing server). Call at the top of the file.
 */
export function useReferenceServer() {
  const clients: LifelineClient[] = [];
  let server: LifelineServer | null = null;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close(); // idempotent: a test may have drained or closed it already
    server = null;
  });
  return {
    /** Every client made by `client()` this test, in order. */
    clients,
    /** A reference server on a free loopback port. */
    async start(options: Partial<ServerOptions> = {}): Promise<LifelineServer> {
      return (server = await createServer({ port: 0, host: '127.0.0.1', ...options }));
    },
    /** `makeClient` registered for this file's cleanup. */
    client: (url: string, options?: Partial<ClientOptions>) => makeClient(clients, url, options),
  };
}
