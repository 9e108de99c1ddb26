import type WebSocketType from 'ws';
import { createRequire } from 'node:module';
import { createClient, type ClientOptions, type LifelineClient } from '@lifeline/core';

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
