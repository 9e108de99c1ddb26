import { createServer, type LifelineServer } from '@lifeline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runStorm } from '../src/sim/runStorm';
import { toJson } from '../src/report/json';
import { toHtml } from '../src/report/html';
import { formatNotes } from '../src/report/notes';
import { formatTable } from '../src/report/table';
import { redactTarget, unusedTargetNote } from '../src/proxy/targetText';
import { parseEndpoint } from '../src/proxy/address';
import { proxyHeadline } from '../src/cli/proxyCommand';

// P2-6: a scenario run takes host and port of --target only. A path and a user:password
// were ignored in silence, and the credentials echoed in the notes, JSON and HTML.

let server: LifelineServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('--target with a path or credentials', () => {
  it('says plainly what it does not use, and never prints the password', () => {
    expect(redactTarget('ws://alice:hunter2@127.0.0.1:8080/v1')).toBe('ws://***@127.0.0.1:8080/v1');
    expect(redactTarget('127.0.0.1:8080')).toBe('127.0.0.1:8080');
    expect(unusedTargetNote('ws://127.0.0.1:8080')).toBeNull();
    expect(unusedTargetNote('ws://127.0.0.1:8080/')).toBeNull();
    expect(unusedTargetNote('127.0.0.1:8080')).toBeNull();
    const note = unusedTargetNote('ws://alice:hunter2@127.0.0.1:8080/v1?room=1')!;
    expect(note).toContain('the path "/v1?room=1"');
    expect(note).toContain('user:password');
    expect(note).toContain('not used');
    expect(note).toContain('ws://127.0.0.1:8080/v1');
    expect(note).not.toContain('hunter2');
    expect(proxyHeadline('ws://127.0.0.1:9000', 'ws://alice:hunter2@127.0.0.1:8080')).not.toContain('hunter2');
    expect(() => parseEndpoint('ws://alice:hunter2@127.0.0.1:99999')).toThrow(/\*\*\*@/);
  });

  it('a run notes the unused path and user:password, and no output carries the password', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    const target = server.url.replace('ws://', 'ws://alice:hunter2@') + '/v1?room=1';
    const r = await runStorm({ scenario: 'blip', target, clients: 5, channels: 1, publishRate: 10, durationMs: 5000, workers: 0, client: 'core', seed: 3 });
    const notes = r.notes.join(' | ');
    expect(notes).toMatch(/the path "\/v1\?room=1" and the user:password .* are not used/);
    for (const text of [notes, toJson([r]), toHtml([r]), formatNotes([r]), formatTable([r])]) expect(text).not.toContain('hunter2');
    expect(r.notBack).toBe(0);
  }, 60_000);
});
