// Runs the README's `joined()` helper ("Coming from socket.io") as written. A channel stays
// `subscribing` while the client waits for a connection, also after `close()` or after it
// gave up, so the helper that watched the channel alone never settled for such a client
// (seen in a browser trial: a join awaited for good after AUTH_FAILED).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { isLifelineError, type Channel, type LifelineClient } from '../src';
import { flushPromises, settle, setup } from './support/harness';

type Joined = (client: LifelineClient, ch: Channel<unknown>) => Promise<void>;

function readmeJoined(): Joined {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('export function joined('));
  if (!block) throw new Error('README block with `export function joined(` not found');
  const js = ts.transpileModule(block, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exports: { joined?: Joined } = {};
  // The block imports types only: nothing to require.
  new Function('exports', 'require', js)(exports, (id: string) => {
    throw new Error(`README joined() block requires ${id}`);
  });
  return exports.joined!;
}

const joined = readmeJoined();
const subRef = (h: ReturnType<typeof setup>, channel: string) => h.sock.frames('sub').filter((f: any) => f.channel === channel).at(-1).ref;

describe("README's joined()", () => {
  it('resolves once the channel is subscribed', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    await flushPromises();
    expect(r).toMatchObject({ done: true, value: undefined });
  });

  it("rejects with the server's refusal (SERVER_ERROR FORBIDDEN)", async () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('secret');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    h.sock.push({ type: 'error', code: 'FORBIDDEN', message: 'no', ref: subRef(h, 'secret'), channel: 'secret' });
    await flushPromises();
    expect(r.done).toBe(true);
    expect(isLifelineError(r.error, 'SERVER_ERROR') && r.error.serverCode).toBe('FORBIDDEN');
  });

  it('rejects once the client is closed by close(), the channel still subscribing', async () => {
    const h = setup();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    const closing = h.client.close();
    h.clock.advance(1000); // the fake socket never confirms the close: cut after 1 s
    await closing;
    await flushPromises();
    expect(ch.getSnapshot().state).toBe('subscribing');
    expect(r.done).toBe(true);
    expect(String(r.error)).toContain('close-requested');
  });

  it('rejects when the client already gave up before the call', async () => {
    const h = setup({ reconnect: { maxAttempts: 0 } });
    h.sock.open();
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts' });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    await flushPromises();
    expect(r.done).toBe(true);
    expect(String(r.error)).toContain('max-attempts');
  });

  it.each([
    ['auth-failed', 4100, 'AUTH_FAILED'],
    ['terminal', 4000, 'CONNECTION_REFUSED'],
  ] as const)('rejects with the client\'s lastError when it gives up (%s)', async (reason, code, error) => {
    const h = setup({ token: 't' });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    h.sock.open();
    h.sock.serverClose(code, 'no');
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason, retryInMs: null });
    expect(ch.getSnapshot().state).toBe('subscribing');
    expect(r.done).toBe(true);
    expect(isLifelineError(r.error, error)).toBe(true);
  });

  it('waits while offline (closed, no retry scheduled, but not for good) and resolves once back', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 1000 } });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    h.lifecycle.setOnline(false);
    h.sock.open();
    h.sock.serverClose(1006);
    await flushPromises();
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline', retryInMs: null });
    expect(r.done).toBe(false);
    h.lifecycle.emit('online');
    h.clock.advance(1000);
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    await flushPromises();
    expect(r).toMatchObject({ done: true, value: undefined });
  });

  it('waits for connect() on a client made with autoConnect: false', async () => {
    const h = setup({ autoConnect: false });
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    const r = settle(joined(h.client, ch));
    await flushPromises();
    expect(r.done).toBe(false);
    h.client.connect();
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    await flushPromises();
    expect(r).toMatchObject({ done: true, value: undefined });
  });
});
