import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '@lifeline/server';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';

let server: LifelineServer;
let script: string;
let deadUrl: string;

beforeAll(async () => {
  [server, script] = await Promise.all([createServer({ port: 0 }), bundleFixture('livenessProcess.ts')]);
  // A port that was free a moment ago: connections to it are refused.
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadUrl = `ws://127.0.0.1:${(probe.address() as AddressInfo).port}/v1`;
  await new Promise<void>((r) => probe.close(() => r()));
}, 30_000);
afterAll(async () => {
  killAllChildren();
  await server.close();
});

describe('process lifetime (child processes that never call process.exit)', () => {
  it('exits by itself after close(): no timer or socket of the client keeps it alive', async () => {
    const child = startChild(script, ['close', `${server.url}/v1`]);
    await child.line('CLOSED');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('stays alive while an iteration runs with no socket (server down, in backoff), and exits once it is aborted', async () => {
    const child = startChild(script, ['iterate', deadUrl, 'keep']);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(['ITERATING', 'ABORTED']);
  }, 30_000);

  it('with keepProcessAlive: false the same process ends early, mid-iteration (only unref\'d timers remain)', async () => {
    const child = startChild(script, ['iterate', deadUrl, 'no']);
    // 13 is Node's exit code for an ES module whose top-level await never settled:
    // the event loop ran empty while the iteration was still waiting.
    expect(await child.exited).toEqual({ code: 13, signal: null });
    expect(child.lines).toEqual(['ITERATING']);
  }, 30_000);
});
