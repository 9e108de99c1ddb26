import { createServer, type LifelineServer } from '@lifeline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runStorm } from '../src/sim/runStorm';
import { expectIntact } from './stormRun';

let server: LifelineServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('two runs at once against one --target server, same seed', () => {
  it('each sees only its own messages: intact, no false duplicates or reorders', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    const run = () =>
      runStorm({ scenario: 'blip', target: server!.url, clients: 10, channels: 1, publishRate: 10, durationMs: 8000, downMs: 500, workers: 0, client: 'core', seed: 1 });
    const [a, b] = await Promise.all([run(), run()]);
    expectIntact(a);
    expectIntact(b);
    // No embedded server here: the notes speak of the clients' process only.
    expect(a.notes.join(' | ')).toContain('event-loop delay of the clients (this process)');
    expect(a.notes.join(' | ')).not.toMatch(/servers' process|server thread/);
  }, 60_000);
});
