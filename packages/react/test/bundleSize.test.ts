// @vitest-environment node
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The issue's budget — react adds at most 1.5 KB min+gzip on top of core — is enforced
 * where it is defined, on the built stack: test/packaging/size-budget.test.ts (1,506 B on
 * top at the last measurement). This is a stricter guard on the package alone, core
 * external (its import statements and strings share nothing with core's compression
 * context): it was 1,511 B until the SSR and StrictMode fixes (hydration snapshots,
 * per-name handlers, reconnect after a pending close) made it 1,666 B, handlers
 * checked per client as well as per name 1,678 B, and each handler skipping what core
 * redelivers after another handler threw, with `since` kept out of render, 1,729 B;
 * handlers' promises all settled before a failure is rethrown (an early rejection made
 * core redeliver to a handler still on the message; a rejection next to a throw went
 * unhandled) and a refused presence enter entered again on the next mount, 1,737 B;
 * the fan-out letting go of an unmounted component's handler still in flight, a refused
 * subscription subscribed afresh on the next mount (no failure shown meanwhile) with
 * `retry()`, and a non-JSON presence `info` reported instead of thrown in render, 1,963 B;
 * a message core hands again while the handler is still on it (after `retry()`) waiting
 * for that call instead of running the handler twice at once, 1,995 B; a message arriving
 * while a kept subscription has no handler parked for the next one (it was fanned out to
 * nobody and counted as handled), `gap` per component (since it mounted) and a shared
 * presence entry showing the most recent remaining holder's info, 2,137 B; presence on a
 * subscription of its own (sharing useChannel's, its handler took the messages a remounting
 * component should get), 2,147 B; a watch-only usePresence on its own subscription too, and
 * a component shown again or mounted with an old `since` beside other hooks of its channel
 * showing what it missed as its own gap (it went on live, silently), 2,290 B; that gap going
 * on up to the first message it is handed (the one another hook's async handler was still on
 * when it came back was neither handed to it nor in its gap) and said for a `since` of
 * another epoch too ('epoch-changed': none was said), 2,363 B; a component hidden before
 * its channel's first subscribe answer showing what was handed out meanwhile as its own gap
 * (it had no position to say it from), 2,395 B; a loss core said after the component
 * subscribed (a `since` out of retention) not said again as its own 'handler-skipped' gap,
 * 2,422 B; one first-position watcher per channel (not per unmount) and a loss core said past
 * where a component was said as one gap of its own, 2,481 B; a subscription kept with no
 * component no longer holding a message up for the channel's other components (they got
 * nothing more for the whole releaseDelayMs), 2,536 B; a component mounted under StrictMode
 * (its effect run, cleaned up and run again in one task) showing no gap of its own for a
 * message another hook was still on, 2,560 B; found by a model-based test of components
 * (componentModel.test.tsx): a `since` beside another hook's `since` the server had still to
 * judge, a component handed again what it had before another handler threw, and a StrictMode
 * remount's gap cut short, each said or handed wrongly, 2,643 B; a component without `since`
 * not shown the gap of the channel's first subscribe answer (another hook's `since` out of
 * retention: a false alarm a browser trial saw), 2,706 B; an effect run again after its handler
 * threw saying its own gap of a new epoch (it threw on an unset `from`, the gap unsaid), with
 * loose equalities paying for it, 2,703 B; a component whose `since` is inside retention not
 * shown another hook's older `since` loss either, 2,714 B (2,715 B null-safe on a server render);
 * a message a sync handler threw on handed to it again after its effect ran again, 2,718 B;
 * and one its async handler rejected, the lease taken back as it was, 2,733 B; a size pass with
 * no behaviour change (namespace import of React, ref-count state on the held value, one memo
 * for the channel's callbacks), 2,602 B; `limit: 0` keeping the same empty list (a render per
 * batch), 2,611 B; a `releaseDelayMs` the timers cannot keep (Infinity, NaN, negative, 2**31 or
 * more: the release fired at once, unsaid) refused with a RangeError during render, 2,653 B;
 * the Provider's `onError` (a `url` Provider's client errors heard from its first connection:
 * there was no way to listen before it connected), 2,679 B.
 * It keeps the package from growing unnoticed.
 */
const STANDALONE_CEILING_BYTES = 2679;

describe('bundle size', () => {
  it(`the whole package, react and @lifeline/core external, stays within its ${STANDALONE_CEILING_BYTES.toLocaleString('en-US')} B min+gzip ceiling`, async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      external: ['react', 'react/jsx-runtime', '@lifeline/core'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`@lifeline/react alone: ${code.length} B min, ${gzipped} B min+gzip (ceiling ${STANDALONE_CEILING_BYTES})`);
    expect(gzipped).toBeLessThanOrEqual(STANDALONE_CEILING_BYTES);
  });
});
