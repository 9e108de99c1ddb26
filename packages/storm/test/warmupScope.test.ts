// Trial finding: against a --target whose admission refused part of the warm-up, the
// table said `refused 560` (after the fault) while the notes counted every close of the
// run (`HTTP 503×671`, warm-up included), and nothing said the scopes differed. The notes
// now keep the warm-up apart, so the after-the-fault counts add up to `refused`.
import { createServer, type LifelineServer } from '@lifeline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runStorm } from '../src/sim/runStorm';

let server: LifelineServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** `HTTP 503×3, 1006×20` → { 'HTTP 503': 3, '1006': 20 } */
function codes(list: string): Record<string, number> {
  if (list === 'none') return {};
  return Object.fromEntries(list.split(', ').map((item) => {
    const m = /^(.*)×(\d+)$/.exec(item)!;
    return [m[1]!, Number(m[2])];
  }));
}

describe('--target: warm-up refusals are counted apart from the refusals after the fault', () => {
  it('the close codes after the fault add up to `refused`; the warm-up\'s are listed under their own label', async () => {
    // The server admits 4 handshakes/s; storm is told 50/s, so the warm-up connects at 40/s and is refused.
    server = await createServer({ port: 0, host: '127.0.0.1', maxHandshakesPerSec: 4 });
    const r = await runStorm({
      scenario: 'blip', target: server.url, clients: 12, channels: 1, publishRate: 5, admissionRate: 50,
      durationMs: 15_000, initialDelayMs: 200, maxDelayMs: 1000, workers: 0, client: 'core', seed: 5,
    });
    const why = r.notes.join(' | ');
    const note = r.notes.find((n) => n.startsWith('socket closes seen by clients'));
    const m = /^socket closes seen by clients, by code: during warm-up: (.*); after the fault: (.*)$/.exec(note ?? '');
    expect(m, why).not.toBeNull();
    const warm = codes(m![1]!);
    const after = codes(m![2]!);
    // The warm-up was refused, and those refusals are not in `refused`.
    expect(warm['HTTP 503'] ?? 0, why).toBeGreaterThan(0);
    expect((after['HTTP 503'] ?? 0) + (after['1013'] ?? 0), why).toBe(r.refused);
    expect(r.notes, why).toContain(`refusals during warm-up (not in "refused", which counts from the fault): ${(warm['HTTP 503'] ?? 0) + (warm['1013'] ?? 0)}`);
    // Every client was cut once by the blip: its 1006 is after the fault, none before.
    expect(after['1006'] ?? 0, why).toBeGreaterThanOrEqual(12);
    expect(warm['1006'] ?? 0, why).toBe(0);
    // Socket errors are scoped the same way.
    expect(r.notes.some((n) => n.startsWith('socket errors seen by clients during warm-up: ')), why).toBe(true);
    expect(r.notes.some((n) => n.startsWith('socket errors seen by clients: ')), why).toBe(false);
  }, 60_000);
});
