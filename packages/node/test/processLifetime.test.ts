import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';
import { refusedUrl } from './fixtures/freePort';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();
let script: string;
let deadUrl: string;

beforeAll(async () => {
  [script, deadUrl] = await Promise.all([bundleFixture('livenessProcess.ts'), refusedUrl()]);
}, 30_000);
afterAll(() => killAllChildren());

describe('process lifetime (child processes that never call process.exit)', () => {
  it('exits by itself after close(): no timer or socket of the client keeps it alive', async () => {
    const child = startChild(script, ['close', testServer.url]);
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
