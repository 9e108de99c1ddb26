// Options that are not an object: `channel.messages(null)` crashed with a raw TypeError
// (reading highWaterMark of null), `consume(handler, null)` rejected with one, and a
// string, number or array was silently taken as "no options". Each is a typed
// BAD_OPTION now, before anything is registered or subscribed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeClient, fileCheckpoint, messages } from '../src/index';
import { isLifelineNodeError } from '../src/errors';
import { FakeChannel } from './fixtures/fakeChannel';
import { useTracker } from './fixtures/tracker';
import { thrown } from './fixtures/thrown';

const clients = useTracker();
const notObjects: Array<[string, unknown]> = [
  ['null', null],
  ['a string', 'fast'],
  ['a number', 64],
  ['an array', [{ highWaterMark: 8 }]],
  ['a boolean', true],
];

const isBadOption = (error: unknown) => isLifelineNodeError(error, 'BAD_OPTION') && /options must be an object/.test((error as Error).message);

describe('options that are not an object → BAD_OPTION', () => {
  for (const [what, value] of notObjects) {
    it(`messages(channel, ${what}) throws BAD_OPTION and subscribes nothing`, () => {
      const ch = new FakeChannel<number>();
      const error = thrown(() => messages(ch.asChannel(), value as never));
      expect(isBadOption(error), String(error)).toBe(true);
      expect(ch.subscribeCount).toBe(0);
    });

    it(`channel.messages(${what}) throws BAD_OPTION; consume(handler, ${what}) rejects with it; the channel stays usable`, async () => {
      const client = clients.add(createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false }));
      const channel = client.channel('orders');
      const error = thrown(() => channel.messages(value as never));
      expect(isBadOption(error), String(error)).toBe(true);
      const rejected = await channel.consume(() => {}, value as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isBadOption(rejected), String(rejected)).toBe(true);
      // Nothing was registered: a valid iteration starts (no ALREADY_CONSUMING) and a drain has nothing to wait for.
      const it = channel.messages();
      expect(it.done).toBe(false);
      await it.return();
    });
  }

  it('drain(null) rejects with BAD_OPTION before stopping anything; a valid drain then works', async () => {
    const client = clients.add(createNodeClient({ url: 'ws://127.0.0.1:9/v1', autoConnect: false }));
    const rejected = await client.drain(null as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isBadOption(rejected), String(rejected)).toBe(true);
    expect(() => client.channel('orders').messages()).not.toThrow();
    await expect(client.drain({ timeoutMs: 1000 })).resolves.toMatchObject({ clean: true });
  });

  it('fileCheckpoint(path, null) throws BAD_OPTION', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-opts-'));
    try {
      const error = thrown(() => fileCheckpoint(join(dir, 'cp.json'), null as never));
      expect(isBadOption(error), String(error)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
