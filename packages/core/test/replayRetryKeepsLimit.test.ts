// A handler that fails ('redeliver') inside a replay the channel did not page (a reconnect's
// or a first subscribe's: asked for without `limit`) re-subscribes from the position after a
// backoff, without `limit`: the channel pages only once its buffer overflowed or after a
// `more` page, and a sync handler never fills the buffer, nor does an async one failing
// before it filled. The server sends the whole rest of the backlog again, once per failure:
// a handler that fails now and then while catching up on a long backlog costs about
// backlog × failures, the cost paged catch-up (06c8427) removed for a handler that overflowed.
// The `subscribed` reply said how many were coming (`replay`): more than a page.
// Found by the cost bound of deliveryModel.test.ts (support/modelServer.ts `replayAgain`).
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

const subs = (h: ReturnType<typeof setup>) => h.sock.frames('sub');

describe('a handler failure inside a replay longer than a page', () => {
  for (const kind of ['sync', 'async'] as const) {
    it(`${kind} handler: the redelivery is asked for as a page (limit 1000), not the rest of the backlog`, async () => {
      const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
      h.accept();
      const ch = h.client.channel('room', { since: { offset: 0, epoch: 'e1' } });
      const got: number[] = [];
      let failAt = 500;
      ch.subscribe((m) => {
        const fail = m.offset === failAt && ((failAt = -1), true);
        if (!fail) got.push(m.offset);
        if (kind === 'sync') {
          if (fail) throw new Error('db busy');
          return;
        }
        return fail ? Promise.reject(new Error('db busy')) : Promise.resolve();
      });
      ch.on('error', () => {});
      // The log holds 1..100000: the reconnect's replay is the whole backlog.
      const first = subs(h).at(-1);
      expect(first.limit).toBeUndefined();
      h.sock.push({ type: 'subscribed', ref: first.ref, channel: 'room', epoch: 'e1', offset: 100_000, recovered: true, replay: 100_000 });
      for (let o = 1; o <= 1500; o++) {
        h.msg('room', o);
        await flushPromises(); // frames arrive in tasks of their own: an async handler settles between them
      }
      expect(got.at(-1)).toBe(499);
      await h.clock.advance(1000); // the backoff
      const retry = subs(h).at(-1);
      expect(retry).not.toBe(first);
      expect(retry).toMatchObject({ since: { offset: 499, epoch: 'e1' } });
      expect(retry.limit).toBe(1000); // without it: the other 99,501 messages sent again
    });
  }
});
