// A Node channel's publish() returned a promise the client had already reacted to (to know
// when it settled), so Node took its rejection as handled: a `void ch.publish(result)`
// refused by a full outbox, or failed by close(), vanished with no unhandled rejection, where
// core's publish (client.core.channel().publish) reports one. Both routes behave alike now,
// and a publish the caller handles reports nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from './fixtures/bundle';
import { killAllChildren, startChild } from './fixtures/child';

let script: string;
beforeAll(async () => {
  script = await bundleFixture('unhandledPublish.ts');
}, 30_000);
afterAll(() => killAllChildren());

describe('a publish rejection nobody handles', () => {
  for (const route of ['node', 'core']) {
    it(`${route === 'node' ? 'channel(name).publish' : 'client.core.channel(name).publish'}: an unhandled rejection for OUTBOX_FULL and for CLIENT_CLOSED`, async () => {
      const child = startChild(script, [route, 'unhandled']);
      await child.line('END');
      expect(child.lines).toEqual(['UNHANDLED OUTBOX_FULL', 'UNHANDLED CLIENT_CLOSED', 'END']);
      expect(await child.exited).toEqual({ code: 0, signal: null });
    }, 30_000);
  }

  it('handled by the caller: no unhandled rejection', async () => {
    const child = startChild(script, ['node', 'handled']);
    await child.line('END');
    expect(child.lines).toEqual(['CAUGHT', 'CAUGHT', 'END']);
  }, 30_000);
});
