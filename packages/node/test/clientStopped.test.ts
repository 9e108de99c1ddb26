import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLifelineError } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError } from '../src/index';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';
import { refusedUrl } from './fixtures/freePort';
import { useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

// Core gives up for good on some failures (an upgrade refused with a stop code or a 4xx,
// a static token refused, reconnect.maxAttempts reached): no retry is scheduled. A loop
// waiting for messages then waited for ever, and the ref'd handle it holds kept the
// process up: a worker with a revoked credential hung, looking alive, instead of failing.

const testServer = useTestServer({ allowedOrigins: ['https://billing.internal'] });
const clients = useTracker();
let worker: string;
let dir: string;
let deadUrl: string;

beforeAll(async () => {
  [worker, dir, deadUrl] = await Promise.all([
    bundleFixture('forAwaitWorker.ts'),
    mkdtemp(join(tmpdir(), 'lifeline-stopped-')),
    refusedUrl(),
  ]);
}, 30_000);
afterEach(() => killAllChildren());
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a client core has stopped for good ends its running iterations', () => {
  it('an upgrade refused with a stop code: messages() and consume() end with CLIENT_STOPPED (cause: core’s error)', async () => {
    const client = createNodeClient({ url: testServer.url, headers: { origin: 'https://evil.example' } }); // an Origin not allowed
    clients.add(client);
    const iterating = client.channel('a').messages().next();
    const consuming = client.channel('b').consume(() => {});
    const [viaIterator, viaConsume] = await Promise.all([iterating.catch((e: unknown) => e), consuming.catch((e: unknown) => e)]);
    for (const error of [viaIterator, viaConsume]) {
      expect(isLifelineNodeError(error, 'CLIENT_STOPPED'), String(error)).toBe(true);
      expect((error as { details?: unknown }).details).toMatchObject({ reason: 'terminal', closeCode: 4001 });
      expect(isLifelineError((error as Error).cause, 'CONNECTION_REFUSED')).toBe(true);
    }
    expect(client.state).toBe('closed');
    // A loop started afterwards (a supervisor's retry) fails at once too, rather than hang.
    const later = await client.channel('c').messages().next().catch((e: unknown) => e);
    expect(isLifelineNodeError(later, 'CLIENT_STOPPED')).toBe(true);
  });

  it('reconnect.maxAttempts reached: the iteration ends instead of waiting', async () => {
    const client = createNodeClient({ url: deadUrl, reconnect: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 } });
    clients.add(client);
    const error = await client.channel('a').messages().next().catch((e: unknown) => e);
    expect(isLifelineNodeError(error, 'CLIENT_STOPPED')).toBe(true);
    expect((error as { details?: unknown }).details).toMatchObject({ reason: 'max-attempts' });
  });

  it('the README worker with a refused credential fails and exits by itself instead of hanging', async () => {
    const child = startChild(worker, [testServer.url, 'refused', join(dir, 'refused.json'), join(dir, 'refused.out'), '0', 'https://evil.example']);
    const failed = JSON.parse((await child.line('LOOP-FAILED', 10_000)).slice(12));
    expect(failed.code).toBe('CLIENT_STOPPED');
    expect(await child.exited).toEqual({ code: 1, signal: null });
  }, 30_000);

  it('close() and drain() are not a stop of this kind: a loop ends with done, no error', async () => {
    const client = createNodeClient({ url: testServer.url, headers: { origin: 'https://billing.internal' } });
    const pending = client.channel('c').messages().next();
    await new Promise<void>((r) => client.on('state', (e) => e.to === 'open' && r()));
    await client.close();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});
