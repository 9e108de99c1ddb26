import { cleanup } from '@testing-library/react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createClient, type LifelineClient, type ReconnectOptions } from '@lifeline/core';
import { createServer, type LifelineServer } from '@lifeline/server';

/** A reference server on a free loopback port with fault hooks, silent logs. */
export async function startServer(): Promise<LifelineServer & { faults: NonNullable<LifelineServer['faults']> }> {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const server = await createServer({ port: 0, host: '127.0.0.1', faults: true, logger: quiet });
  if (!server.faults) throw new Error('server started without fault hooks');
  return server as LifelineServer & { faults: NonNullable<LifelineServer['faults']> };
}

/** Frames of one type the server received so far. */
export const framesIn = (server: LifelineServer, type: string): number => server.stats().framesIn[type] ?? 0;

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until `client`'s channel `name` is subscribed. */
export const subscribed = (client: LifelineClient, name: string): Promise<void> =>
  until(() => client.channel(name).getSnapshot().state === 'subscribed', `${name} subscribed`);

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * One server for the test file (started before its tests, closed after them) and the
 * clients its tests make, closed after each test once the rendered trees are unmounted.
 */
export function useServerWithClients() {
  let server: Started | undefined;
  const clients: LifelineClient[] = [];
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());
  afterEach(async () => {
    cleanup();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  return {
    get server(): Started {
      if (!server) throw new Error('server not started: use it inside a test');
      return server;
    },
    /** Every client made by `client()` this test, in order. */
    clients,
    /** A client of the server's /v1 with fast retries (`reconnect` overrides them). */
    client(reconnect: ReconnectOptions = { initialDelayMs: 10, maxDelayMs: 50 }): LifelineClient {
      const c = createClient({ url: `${this.server.url}/v1`, reconnect });
      clients.push(c);
      return c;
    },
  };
}
