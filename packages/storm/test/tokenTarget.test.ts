// Trial finding: storm could not run against a server started with --auth-secret: it had
// no token option, and the warm-up failed with core's "AUTH_FAILED: token rejected (4100):
// call setToken()", which says nothing to someone running the CLI. `--token` / `token`
// now reaches every client's hello and the publisher's Authorization header.
import { createServer, signToken, type LifelineServer } from '@lifeline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { toHtml } from '../src/report/html';
import { toJson } from '../src/report/json';
import { formatNotes } from '../src/report/notes';
import { formatTable } from '../src/report/table';
import { isStormError } from '../src/errors';
import { resolveOptions, type StormOptions } from '../src/sim/options';
import { runStorm } from '../src/sim/runStorm';
import { refusal } from './refusal';

const SECRET = 'storm-test-secret';
let server: LifelineServer;
beforeAll(async () => {
  server = await createServer({ port: 0, host: '127.0.0.1', authSecret: SECRET });
});
afterAll(async () => {
  await server?.close();
});

const small = (o: Partial<StormOptions>) =>
  runStorm({ scenario: 'blip', target: server.url, clients: 4, channels: 2, publishRate: 10, durationMs: 5000, workers: 0, client: 'core', seed: 9, ...o });

/** The run's rejection message (RUN_FAILED), or a failure if it did not reject. */
async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (e) {
    expect(isStormError(e, 'RUN_FAILED'), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('the run did not fail');
}

describe('--token against a server with a secret', () => {
  it('with a token whose claims cover storm:* every client (core and lite) connects and every message is published and delivered', async () => {
    // Claims as a real deployment would scope them: only the storm's channels.
    const token = signToken({ sub: 'storm', exp: Math.floor(Date.now() / 1000) + 600, subscribe: ['storm:*'], publish: ['storm:*'] }, SECRET);
    const [core, lite] = await Promise.all([small({ token }), small({ token, client: 'lite', seed: 10 })]);
    for (const r of [core, lite]) {
      const why = r.notes.join(' | ');
      expect(r.notBack, why).toBe(0);
      // The publisher's POST /v1/publish carried the token too: without it, 401 and nothing published.
      expect(r.published, why).toBeGreaterThan(0);
      expect({ lost: r.lost, duplicated: r.duplicated, reordered: r.reordered }, why).toEqual({ lost: 0, duplicated: 0, reordered: 0 });
      expect(r.delivered + r.gapped, why).toBe(r.published * (r.clients / r.channels));
    }
  }, 60_000);

  it('without a token the warm-up fails saying the server requires one and naming --token (core and lite)', async () => {
    const [core, lite] = await Promise.all([failure(small({})), failure(small({ client: 'lite', seed: 11 }))]);
    for (const m of [core, lite]) {
      expect(m).toMatch(/^a client gave up during warm-up: AUTH_FAILED: /);
      expect(m).toContain('the server requires a token: pass --token <jwt>');
    }
  }, 60_000);

  it('a token whose subscribe claim does not cover storm:* fails the warm-up at once with the server\'s message and the claim to fix (core and lite)', async () => {
    // Review finding: the warm-up waited its full deadline (clients ÷ rate + 30 s) and said
    // only `SERVER_ERROR×4`, never the server's "token does not allow subscribe on storm:…".
    const token = signToken({ sub: 'storm', exp: Math.floor(Date.now() / 1000) + 600, subscribe: ['other:*'], publish: ['storm:*'] }, SECRET);
    const t0 = Date.now();
    const [core, lite] = await Promise.all([failure(small({ token })), failure(small({ token, client: 'lite', seed: 12 }))]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    for (const m of [core, lite]) {
      expect(m).toMatch(/^a client's subscribe was refused during warm-up: FORBIDDEN: token does not allow subscribe on storm:\d+:\w+:\d+ /);
      expect(m).toContain('the --token\'s subscribe claim must cover the storm:* channels');
      expect(m).not.toContain(token);
    }
  }, 60_000);

  it('the token never appears in the table, the notes, the JSON or the HTML report', async () => {
    const token = signToken({ sub: 'storm', exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);
    const r = await small({ token, clients: 2, channels: 1, durationMs: 1000 });
    expect(r.notBack, r.notes.join(' | ')).toBe(0);
    for (const [what, text] of [['table', formatTable([r])], ['notes', formatNotes([r])], ['json', toJson([r])], ['html', toHtml([r])]] as const) {
      expect(text.length, what).toBeGreaterThan(0);
      expect(text.includes(token), what).toBe(false);
      // Nor its payload or signature alone.
      for (const part of token.split('.')) expect(text.includes(part), `${what}: ${part}`).toBe(false);
    }
  }, 60_000);

  it('a token the server refuses says so, not "pass --token"', async () => {
    const wrong = signToken({ sub: 'storm' }, 'another-secret');
    const m = await failure(small({ token: wrong }));
    expect(m).toContain('the server refused the --token given');
    expect(m).not.toContain('pass --token');
  }, 60_000);
});

describe('--token is refused where it cannot apply', () => {
  it('without --target (the embedded server has no secret and would ignore it): BAD_OPTION, CLI and library', () => {
    expect(refusal(() => parseCommand(['blip', '--token', 'abc.def.ghi']))).toBe(
      '--token is for an external server started with --auth-secret (--target); the embedded server checks no token: drop --token or add --target',
    );
    expect(refusal(() => resolveOptions({ scenario: 'restart', token: 'abc.def.ghi' }))).toMatch(/^token must come with target/);
  });

  it('an empty --token (an unset $VAR) is BAD_OPTION; a token with --target is kept', () => {
    expect(refusal(() => parseCommand(['blip', '--target', 'ws://127.0.0.1:9', '--token', '']))).toBe('--token needs a JWT, got ""');
    const cmd = parseCommand(['blip', '--target', 'ws://127.0.0.1:9', '--token', 'abc.def.ghi']);
    expect(cmd.kind === 'storm' && cmd.options.token).toBe('abc.def.ghi');
  });
});
