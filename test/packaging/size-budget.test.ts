// Size budgets for the browser bundles, measured on the built dist exactly the way
// test/bench/size.mjs measures the peers (esbuild, minified ESM, platform browser,
// gzip -9). `pnpm test` builds first, so a missing dist is a failure here.
import { describe, expect, it } from 'vitest';
import { everything, measureBundle, type BundleMeasurement as Measured } from '../bench/lib/bundle.mjs';

// Issue goal: core ≤ 6 KB. Not met (8,474 B at the last measurement, every contract
// feature kept). The class rewrite that cut an idle client's heap from 18.9 KB to 4.4 KB
// (the memory goal) cost ~0.6 KB here, the drain slots (PROTOCOL.md §13) 86 B; class
// fields as constructor assignments (core tsconfig) saved 306 B; the fixes that keep a
// full async-handler buffer, a throwing handler or a late unsubscribe from skipping
// messages (test asyncDelivery) cost 38 B, those of the outbox and setToken() found by
// the same review (outbox.test, token.test) 86 B, exporting INITIAL_SNAPSHOT (react's
// hydration snapshot) 21 B, an exact `from` for a hole found behind an async handler 10 B,
// the timer cap of the default clock (a 30-day Retry-After looped) 15 B; the fixes of the
// next review 82 B: a deadline for a token function that never answers (it held the
// client in connecting) 24 B, offsets checked as integers from 0 (1e999 or 2^53 + 2 as a
// position dropped later messages as duplicates) 17 B, a wall clock stepped back (liveness
// and publish pacing held for the size of the step) 13 B, `since` applied to a channel
// made earlier without it (messages after the checkpoint skipped without a gap) ~21 B, a
// hole in a new epoch at an offset where one was filled in the old one (a gap, no
// replay) 7 B. The review after that (8,474 B): a TTL timer that expires queued publishes
// in every state (before connect(), after close() they never expired), a `sub`/enter sent
// once from an `open` listener, stray ref-0 answers ignored, snapshot listeners told from a
// copy, paid for by a shorter UTF-8 count and mangled outbox-entry and ticker fields.
// Then (8,625 B): option checks, 99 B (a NaN or 0 reconnect delay, or a 0 check interval,
// looped without pause: a fleet doing that stampedes the server), a per-publish ttlMs that
// is not a number, a malformed retryAfterMs on RATE_LIMITED (a string meant 5 ms, null at
// once), and a static token the server calls expired (retried for ever), 52 B. Then
// (8,701 B) 75 B: a client that gave up leaves the shared check timer (a Node process
// never exited), close() from a state listener (stack overflow), a throwing WebSocket
// constructor and an upgrade refused with 404 stop instead of retrying for ever, silently;
// a negative or non-number retryAfterMs on a subscribe error waits 1 s (it looped), 7 B.
// Then (8,722 B) 11 B: a socket that fails without a close reason (ECONNREFUSED, a TLS
// failure) carries the socket error's message as closeReason (it said nothing).
// Then (8,749 B) 27 B: queued publishes expire at their TTL in real time when the wall
// clock steps back (an hour's step held them an hour longer).
// Then (8,787 B) 38 B, from a user's review: a channel name that is not a string is
// BAD_ARGUMENT (123 passed the regex as "123"), close() on a closed client emits no empty
// `closing`, MESSAGE_TOO_LARGE names the limit, a token failure is `token-error`.
// Then (8,617 B) 170 B saved with no behaviour change: one-line internal wrappers and
// helpers used once inlined (the frame router called by the connection, presence frames
// handed to presence), Node's refused-upgrade handling moved to platform.ts (out of the
// browser build), in-flight publishes requeued without a sort, and guards and initial
// values that could not matter dropped.
// Then (8,632 B) 15 B: a server publishBurst below 1 or not a number counts as 1 (below 1
// nothing was ever sent; NaN switched pacing off).
// Then (8,589 B) 43 B saved with no behaviour change: state kept twice derived from the
// other copy (a channel's pause from its retry timer, "opened before" from the last
// welcome's heartbeat), and work done twice done once (connect()'s check time, close()'s
// timer cancel, a snapshot's session).
// Then (8,595 B) 6 B: a gap is in the channel snapshot before snapshot listeners are
// told, and they are told of a gap that does not move the position (lastGap stayed stale).
// Then (8,513 B, then 8,461 B after a third round, -52 B): +133 B so a message redelivered after one handler of a channel threw goes
// only to the handlers that did not handle it (every handler got it twice), +110 B so a
// refused presence.enter is an error event and a transient refusal is retried; paid for
// by no-behaviour-change rounds (-147 B, -181 B, -52 B): close-code rules inline in the
// client, helpers used once inlined, initial values that read the same as unset dropped.
// Then (8,485 B) 24 B: the client calls the protocol's close-code predicates and
// parseRetryAfterMs again instead of carrying copies of their rules.
// Then (8,553 B, 8,564 B once a refused call changes nothing) 79 B: `onHandlerError`
// checked (a typo was silently 'redeliver') and, while a shared channel has handlers, a
// caller naming the other policy refused (it was silently given theirs).
// Then (8,591 B) 27 B: an error nothing hears (no `error` listener, no logger) goes to
// console.error (a throwing handler held its channel without a trace).
// Then (8,531 B) 60 B saved with no behaviour change: one timer slot class (`Timed`)
// shared by the client, publisher, channel and presence instead of four copies, one
// retry-hint rule instead of three.
// Then (8,688 B) 157 B, from a protocol conformance review: presence info that is not
// JSON refused at enter() (it threw inside every later welcome: channels not
// re-subscribed, outbox not sent), presence info above maxFrameBytes refused with
// MESSAGE_TOO_LARGE (the server's 1009 close made it a reconnect loop), clientId and
// publish ids checked as the server checks them (a bad clientId retried for ever; a long
// one broke every generated publish id), close() from a `connecting` listener ending that
// attempt (its handshake deadline reconnected the closed client); frames of an unknown
// type ignored instead of an error event each (PROTOCOL §16).
// Then (8,688 B) 0 B net for eight re-entrancy fixes (listeners calling back into the client).
// Then (8,717 B) 29 B, from a review of those: messages arriving while close() waits for
// the socket are not taken (one after a failed handler moved the position past it),
// presence info copied at enter() (made circular later, it threw in the next welcome), a
// clientId cut at 100 units never ends in half a surrogate pair (every generated id refused).
// Then (8,739 B) 22 B: a gap reported while an async handler is busy starts after the
// message in hand, not at the position (found by the model test, seed -439794221).
// Then (8,750 B) 11 B: a presence enter made by an `error` listener during the welcome's
// re-entry is not sent a second time when the welcome reaches its channel.
// Then (8,815 B) 65 B: a jitter, overflow or onClose value the client does not know is
// BAD_ARGUMENT (a typo such as 'decorelated' ran as the default), and a ttlMs of 0 too (it
// expired every publish before it could be sent, even on an open connection).
// Until the
// goal is met the test holds the ceiling so the bundle cannot grow unnoticed, and prints
// the distance to the goal on every run. Lower the ceiling as the bundle shrinks.
const CORE_GOAL_BYTES = 6 * 1024;
const CORE_CEILING_BYTES = 8_815;
const REACT_ON_TOP_BUDGET_BYTES = 1.5 * 1024;
const reactExternal = ['react', 'react/jsx-runtime', 'react-dom'];

describe('browser bundle budgets (built dist)', () => {
  it('bundles @lifeline/core from its dist with its dependencies, within its 8,815 B ceiling (goal 6 KB) min+gzip', async () => {
    const core: Measured = await measureBundle(everything('@lifeline/core'));
    expect(core.inputs.some((p) => p.includes('packages/core/dist/'))).toBe(true);
    console.info(`@lifeline/core: ${core.minBytes} B min, ${core.gzipBytes} B min+gzip (ceiling ${CORE_CEILING_BYTES}, goal ${CORE_GOAL_BYTES})`);
    if (core.gzipBytes > CORE_GOAL_BYTES) {
      console.warn(`@lifeline/core is ${core.gzipBytes - CORE_GOAL_BYTES} B over the 6 KB goal (issue: benchmarks and size budgets)`);
    }
    expect(core.gzipBytes).toBeLessThanOrEqual(CORE_CEILING_BYTES);
  });

  it('adds at most 1.5 KB min+gzip for @lifeline/react on top of core (react external)', async () => {
    const core: Measured = await measureBundle(everything('@lifeline/core'));
    const stack: Measured = await measureBundle(everything('@lifeline/react'), { external: reactExternal });
    expect(stack.inputs.some((p) => p.includes('packages/react/dist/'))).toBe(true);
    // react is built on core: the stack must really contain it, or "on top" means nothing.
    expect(stack.inputs.some((p) => p.includes('packages/core/dist/'))).toBe(true);
    const onTop = stack.gzipBytes - core.gzipBytes;
    console.info(`@lifeline/react: ${stack.gzipBytes} B min+gzip with core, ${onTop} B on top (budget ${REACT_ON_TOP_BUDGET_BYTES})`);
    expect(onTop).toBeLessThanOrEqual(REACT_ON_TOP_BUDGET_BYTES);
  });

  it('imports no Node built-in in the browser bundles of core and react', async () => {
    // platform "browser" with no externals: a bare `ws`, `events` or `node:*` import
    // that is not mapped away by a `browser` field fails the build itself.
    const core: Measured = await measureBundle(everything('@lifeline/core'));
    const stack: Measured = await measureBundle(everything('@lifeline/react'), { external: reactExternal });
    expect(core.nodeImports).toEqual([]);
    expect(stack.nodeImports).toEqual([]);
    // The Node implementation of WebSocket must not be pulled in through isomorphic-ws.
    expect([...core.inputs, ...stack.inputs].filter((p) => /node_modules\/(\.pnpm\/)?ws[@/]/.test(p))).toEqual([]);
  });
});
