import { afterEach, expect, it, vi } from 'vitest';
import { Publisher } from '../src/sim/publisher';

// runStorm's cleanup calls stop(0) and every phase has a deadline, so a publisher
// waiting out a long interval (0.1 msg/s: 10 s) must stop without waiting for it.
// Fake clock: "stops at once" means with no time passing. fetch is stubbed (the
// publisher's HTTP is not what is under test).

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

it('stop() returns at once while a loop waits for its next publish at a low rate', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  let acked = 0;
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ offset: ++acked, epoch: 'e' }), { status: 200 }));
  const pub = new Publisher(['a'], 0.1, () => 'http://127.0.0.1:9', 'run');
  pub.start();
  await vi.advanceTimersByTimeAsync(1); // first publish acked; the loop now sleeps 10 s
  expect(pub.published[0]).toHaveLength(1);

  let stopped = false;
  const stopping = pub.stop(0).then(() => (stopped = true));
  await vi.advanceTimersByTimeAsync(1);
  expect(stopped).toBe(true);
  expect(pub.published[0]).toHaveLength(1); // and nothing more was published

  await vi.advanceTimersByTimeAsync(10_000); // lets the loop finish if the check above failed
  await stopping;
});
