import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';
import { freePort, refusedUrl } from './fixtures/freePort';
import { startTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

let script: string;
const servers = useTracker();

beforeAll(async () => {
  script = await bundleFixture('publishProcess.ts');
}, 30_000);
afterAll(() => killAllChildren());

// 13 is Node's exit code for an ES module whose top-level await never settled: the event
// loop ran empty while the publish (or drain) was still waiting.
describe('process lifetime of publishes and drain (child processes that never call process.exit)', () => {
  it('an awaited publish to a server that comes up 1 s later keeps the process alive until acked; it then exits after close()', async () => {
    const port = await freePort();
    const child = startChild(script, ['publish', `ws://127.0.0.1:${port}/v1`, 'close']);
    await new Promise((r) => setTimeout(r, 1000));
    expect(child.proc.exitCode).toBeNull();
    servers.add(await startTestServer({ port }));
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(['PUBLISHED', 'CLOSED']);
  }, 30_000);

  it('once the publish is acked the hold is gone: with the server gone too, the process exits without close()', async () => {
    const port = await freePort();
    const child = startChild(script, ['publish', `ws://127.0.0.1:${port}/v1`, 'stay']);
    const server = servers.add(await startTestServer({ port }));
    await child.line('PUBLISHED');
    // Only the open socket keeps it up now; in reconnect backoff nothing of the client does.
    await server.close();
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(['PUBLISHED']);
  }, 30_000);

  for (const route of ['node', 'core', 'core-channel']) {
    it(`a publish through ${route === 'node' ? 'channel().publish' : route === 'core' ? 'client.core.publish' : 'client.core.channel().publish'} with the server down holds the process until its TTL rejects it, then lets it exit`, async () => {
      const child = startChild(script, ['expire', await refusedUrl(), route]);
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(child.lines).toEqual(['EXPIRED OUTBOX_EXPIRED']);
    }, 30_000);
  }

  it('drain() with the server down and a publish waiting returns after its timeout (not cut off by the process ending)', async () => {
    const child = startChild(script, ['drain', await refusedUrl()]);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines[0]).toBe('REJECTED CLIENT_CLOSED');
    expect(JSON.parse(child.lines[1]!.replace(/^DRAINED /, ''))).toEqual({
      clean: false,
      unflushedPublishes: 1,
      failedPublishes: 0,
      unfinishedConsumers: 0,
      failedCheckpoints: [],
      checkpoints: {},
    });
    expect(child.lines).toHaveLength(2);
  }, 30_000);
});
