import { createServer, type LifelineServer } from '@lifeline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runStorm } from '../src/sim/runStorm';

let server: LifelineServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('--target: the admission rate is the user\'s to state', () => {
  it('is null, with no peak ÷ capacity, unless admissionRate was given; given, it is reported', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    const run = (extra: { admissionRate?: number }) =>
      runStorm({ scenario: 'blip', target: server!.url, clients: 5, channels: 1, publishRate: 10, durationMs: 5000, workers: 0, client: 'core', seed: 3, ...extra });
    const [unstated, stated] = await Promise.all([run({}), run({ admissionRate: 250 })]);
    expect(unstated.admissionRate).toBeNull();
    expect(unstated.peakOverCapacity).toBeNull();
    expect(unstated.notes.join(' | ')).toContain('admission rate unknown');
    expect(unstated.notes.join(' | ')).not.toContain('as given');
    expect(stated.admissionRate).toBe(250);
    expect(stated.peakOverCapacity).not.toBeNull();
    expect(stated.notes.join(' | ')).toContain('admission rate as given (250/s)');
  }, 60_000);
});
