import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LifelineError } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

describe('an upgrade refused with HTTP 404 (a wrong path)', () => {
  it('stops the client with CONNECTION_REFUSED naming the status, instead of retrying it silently for ever', async () => {
    const server = await t.start();
    const client = t.client(`${server.url}/wrong-path`);
    const errors: LifelineError[] = [];
    client.on('error', (e) => errors.push(e));
    await waitFor(() => client.getSnapshot().reason === 'terminal', 'the client to stop');
    expect(client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: null });
    expect(errors.map((e) => [e.code, e.message])).toEqual([['CONNECTION_REFUSED', 'upgrade refused: http 404 (not the /v1 path?)']]);
  });
});

describe('a Node process whose client gave up', () => {
  it('exits by itself (no timer left armed after max-attempts)', async () => {
    // A port that refuses connections: listen, note the port, close.
    const probe = createHttpServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const script = `
      import { createClient } from '@lifeline/core';
      const c = createClient({ url: 'ws://127.0.0.1:${port}/v1', lifecycle: false, reconnect: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 } });
      c.on('state', (s) => { if (s.reason === 'max-attempts') console.log('gave up'); });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('.', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    expect(out).toContain('gave up');
    expect(code).toBe(0);
  }, 15_000);
});
