// Size budgets for the browser bundles, measured on the built dist exactly the way
// test/bench/size.mjs measures the peers (esbuild, minified ESM, platform browser,
// gzip -9). `pnpm test` builds first, so a missing dist is a failure here.
import { describe, expect, it } from 'vitest';
import { everything, measureBundle, type BundleMeasurement as Measured } from '../bench/lib/bundle.mjs';

// Issue goal: core ≤ 6 KB. Not met: 10,211 B with every contract feature kept (see
// packages/core/README.md#bundle-size for where the bytes went and why ~7.2 KB remains
// even without the features the design does not require). Until the goal is met the test
// holds a ceiling so the bundle cannot grow unnoticed, and prints the distance to the goal
// on every run. Raise the ceiling only in a commit that names what the bytes buy (git log
// of this file lists each change); lower it as the bundle shrinks.
const CORE_GOAL_BYTES = 6 * 1024;
// 9,498 -> 9,573 B (session 16, hostile-server trial): publish ack timeout 48 B, backoff for a
// server that welcomes then closes every time 14 B, heartbeat cap 4 B, second welcome refused
// 4 B, frame type named in BAD_FRAME 8 B. 9,573 -> 9,621 B: the ack timeout also for an
// unanswered sub (33 B: a channel stuck 'subscribing' for good) and presence.enter (15 B).
// 9,621 -> 9,561 B: refactors with no behaviour change; -> 9,647 B: the ack timeout's
// review (fires only when the server sends nothing but heartbeats, its backoff grows with
// the defaults, a shorter user heartbeat timeout gets its pings) ~86 B. 9,647 -> 9,674 B
// (session 17): the ack timeout also for an unanswered unsub (a channel left
// 'unsubscribing' for good, the server still sending its messages) and from the oldest
// unanswered presence.enter (enters every few seconds hid it), 27 B. 9,674 -> 9,689 B: after
// `recovered: false` the gap ends before the retained tail the server replays, which is
// delivered (the client jumped to the head, past messages still retained), 15 B. 9,689 ->
// 9,694 B: a liveness probe asked for after an answered one probes again (the answered one's
// timer swallowed it: a dead socket stayed 'open' until the heartbeat timeout), 5 B. 9,694 ->
// 9,725 B (auth trial): a 4101 retry and the browser's online event spread over the first
// delay (a fleet whose tokens expire together came back in one instant), a 4100 refusal of a
// token function's token said as a TOKEN_ERROR event (it retried for ever in silence), and a
// function giving undefined again after a 4100 stops like the same token does, 31 B. 9,725 ->
// 9,818 B: the session's review (a tail starting right after a busy handler's message was said
// as an empty gap, stopping node workers; a client without a token could not reconnect after
// a 4100; the online wait is in the state and keeps a sooner retry) 52 B, and a presence
// update the server refused no longer drops the member at the next reconnect (the client
// enters again with the info the server last confirmed) 41 B. 9,818 -> 9,995 B: in-band token
// renewal (asked at 75-85 % of the token's life, sent as `auth`; setToken() while open sends
// it; `authed` re-subscribes failed channels): each client was closed 4101 and reconnected,
// with a replay, once per token lifetime, and new permissions needed a reconnect, 177 B.
// 9,995 -> 10,036 B: its review (a token refused in band renews the connection: a
// setToken() for another user left the previous user's connection running; an old
// function's late renewal undid setToken(); authed only for the latest auth; renewals at
// least 5 s apart), 41 B. 10,036 -> 10,047 B: the next renewal counts from when the token was
// sent, not from when the answer was read (a Node consumer paused for backpressure read it
// late, and the renewed token expired first: a 4101 and a replay per token lifetime), 11 B.
// 10,047 -> 10,070 B (session 18): the re-entry after a reconnect is answered like an enter()
// (refused with a hint it was not retried, so the member stayed missing after a broker blip
// until the next reconnect; refused for good it was sent again on every reconnect;
// unanswered it escaped the ack timeout), 23 B. 10,070 -> 10,073 B: an enter answered after
// a leave() confirms nothing (a later refused enter went back to its info at the next
// reconnect: present again after leaving), 3 B. 10,073 -> 10,078 B: a renewal is asked one
// check early and the welcome's expiry counts from when the socket was made (a chaos trial:
// tokens of ~10 s renewed up to 1 s late, plus a slow handshake, reached the server after
// their expiry under a latency spike: a 4101 and a replay), 5 B. 10,078 -> 10,103 B (session 19,
// a review with a model-server random test): a loss said while an async handler was busy
// with a message past the new head (a store that lost acknowledged writes) was dropped
// unsaid and the position moved ahead of the head again; a handler that unsubscribed and
// subscribed again in its own call was handed its message twice; handlers that had a
// half-delivered message were skipped for the new message a head behind it put at that
// offset, 25 B. Then (a TypeScript trial): an option of reconnect, heartbeat
// or outbox given as undefined (`maxAttempts: cfg.retries`, allowed by the types under
// exactOptionalPropertyTypes) takes its default instead of throwing BAD_ARGUMENT, 11 B;
// createBackoff() checks its options through the same code instead of a spread of its own
// (undefined gave NaN delays), which took 12 B back: 10,103 -> 10,102 B together.
// 10,102 -> 10,122 B (found by the delivery model test): an async handler failing on a
// message a store loss had already moved the position behind finished it as current, and
// two losses joined while busy (one below the position, one back above it) looked like
// none: messages at the reused offsets were dropped as duplicates or never said, 20 B.
// 10,122 -> 10,150 B (slow-consumer trial): an async handler that overflowed its 1,000-message
// buffer asks for the replay a page (`limit: 1000`) at a time, the next page once one is
// handled; it asked for the whole backlog each time, kept 1,000 and dropped the rest, so the
// server sent ~backlog²/2000 messages (23x the log at 5k/s), 28 B. 10,150 -> 10,161 B (a
// browser trial): a liveness probe waits twice the connection's handshake time when that is
// longer than probeTimeoutMs (on a link slower than 5 s every app switch killed a working
// connection), 11 B. 10,161 -> 10,180 B (a review with a model-based lifecycle test): a
// client that gave up (4100/4101 with a static token, 4000/4001) was restarted by the
// browser's online event, sending the refused token again per network flap from a whole
// fleet; a connection started after pagehide had its closes taken for the page going away
// (closed for good, code ignored), 19 B. 10,180 -> 10,221 B (a review of the session's client
// changes): a hole or a handler failure during a paged catch-up keeps asking for a page (it
// asked for the whole backlog again), a duplicate in a page counts toward it (the page ended
// one short and the catch-up stalled), and the probe's handshake time is capped at the
// handshake deadline (a wall-clock step during the handshake stretched the probe), 41 B.
// 10,221 -> 10,211 B: a failure or a hole inside an unpaged replay with more than a page left
// asks for a page too (it asked for the whole rest again, once per failure); gzip found the
// repeated condition cheaper than its absence, -10 B. 10,211 -> 10,304 B (a review of the
// client's answers): a malformed `subscribed` answering a pending `sub` renews the connection
// at once (it waited out the 30 s ack timeout, the channel stuck `subscribing`), 37 B; a
// `presence.leave()` refused during a broker outage is sent again after the hint, and one made
// while disconnected on the next connection (the member stayed listed until its TTL or the
// old connection's grace ran out), 57 B. 10,304 -> 10,332 B (session 22): an `auth` refused
// RATE_LIMITED is sent again after the hint on the same connection, and setToken() sends
// nothing during it (each refusal renewed the connection: an app calling setToken() often
// reconnected, and replayed, about once a second), 28 B. 10,332 -> 10,322 B: a client that
// gave up no longer listens to the browser lifecycle (it listened and ignored it, and the
// window's listeners kept a client the app dropped without close() alive), -10 B. 10,322 ->
// 10,289 B (session 23): a size pass with no behaviour change (fields set before they are
// read no longer zeroed at construction, `since` applied in one place, chained resets), -33 B.
// 10,289 -> 10,364 B: the client's own `hello` coming back (a url that echoes, /echo) is a
// BAD_FRAME naming it (it retried on handshake timeouts for ever, no error said), 32 B;
// presence.enter() calls made before one could be sent share one waiter (an app updating its
// info while offline kept one per call, without bound), ~40 B; whenFlushed() calls share one
// promise while the outbox holds something (one resolver per call), ~8 B. 10,364 -> 10,390 B
// (a docs audit): a 0 `maxDelayMs`, `timeoutMs`, `probeTimeoutMs` or `jumpThresholdMs`, a
// `handshakeTimeoutMs` that is not a number > 0 and an `agent` that is not a string are refused
// with BAD_ARGUMENT (each looped in silence: every retry at once, every connection dead at
// its first check, every handshake timed out, every hello refused), 26 B. 10,390 -> 10,391 B
// (session 24): a close reason over 123 bytes, which `ws` and browsers refuse, is dropped and
// the code sent alone (the socket was closed with no code: the server saw 1005, not 4000), 1 B.
// 10,391 -> 10,393 B: a url the WebSocket constructor refuses stops the client with
// BAD_ARGUMENT, not CONNECTION_REFUSED (which sent users looking at the server), 2 B.
// 10,393 -> 10,461 B: a channel remembers where it was in the last 4 epochs it
// left, and coming back to one (a client moved between servers of different memory brokers,
// E -> F -> E) asks for the rest from there instead of taking the retained tail the server
// replays after `recovered: false` (what it had of E was handed to its handlers a second
// time), 68 B. 10,461 -> 10,468 B: setToken(undefined) while open on a server that checks
// tokens renews the connection without one (nothing could be sent in band, and the
// connection ran on as the previous token's user until that token expired), 7 B.
// 10,468 -> 10,585 B (session 26, a React user trial): the snapshot's `lastError` says why the
// client is not open (cleared by a successful handshake, a plain drop and close(); a 4100
// refusal of a function's token and a 1009 close carry their error in the move to closed):
// it kept the last error for good, and a badge showed `connecting (TOKEN_ERROR)` at every
// later network drop, `open (AUTH_FAILED)` after setToken() fixed it, 34 B; a presence enter
// refused FORBIDDEN is sent again after `authed` and on a connection with another token, as
// a failed channel subscribes again (usePresence's member list stayed without this client
// until a remount or a new `info`), with the token taken in band remembered, 83 B.
// 10,585 -> 10,641 B (a review of the session's epoch return): losses said while an async
// handler is busy are one gap per epoch moved into, in order, each from where the one before
// it ended (a move E -> F -> E while it ran joined them as one gap from E#5 to E#5, or none:
// F's retained tail, never handed, went unsaid, and the empty gap stopped node workers whose
// onGap is 'stop'), 48 B; a tail starting right after the message an async handler finished
// while the reconnect's `sub` was in flight is no gap (one from it to it, covering nothing), 8 B.
// 10,641 -> 10,682 B (session 27, a review of the publishing path): a publish whose turn comes
// while the socket is closing (after a socket error, or the server's close frame) stays never
// sent, so its ttlMs and drop-oldest apply (it was taken for sent: no TTL, never evicted); a
// publish sent before and too large for the server reconnected to says it may be stored; and
// setToken() while close() flushes on an open connection is sent in band (it was ignored, and
// the flush failed CLIENT_CLOSED at the old token's expiry), 41 B together.
// 10,682 -> 10,705 B (a chaos soak): close() rejects the outbox in publish order (in flight
// first, then queued: one refused with a hint and queued again was rejected after later ones,
// and an app re-publishing from the callbacks stored them out of order), 23 B.
// 10,705 -> 10,666 B (session 27): a size pass with no behaviour change (counters and null
// fields set in one chained assignment, `==` for comparisons of values of one type, the token
// failures retried without a one-line helper, `this.state` for the snapshot's state), -39 B.
// 10,666 -> 10,730 B (a socket.io migrator's trial): errors say why and what to do: AUTH_FAILED
// carries the server's close reason (every refusal read the same), an upgrade refused 404 asks
// whether the path is /v1, a refused channel name says what a name may hold (and is cut at 60
// characters), 64 B.
// 10,730 -> 10,741 B (a review of the session's core changes): setToken() while close() flushes
// never renews the connection (setToken(undefined) or a token refused in band killed the socket,
// and the flush failed the rest CLIENT_CLOSED); a renewal with no socket left (setToken() from a
// snapshot listener told of a drop) does nothing instead of throwing; AUTH_FAILED without a close
// reason says the code alone, 11 B.
// 10,741 -> 10,762 B (session 28): the losses said while an async handler is busy are at most
// 4, the newest merged into one `merged` gap (one more was kept per epoch change for as long
// as a handler never settled: unbounded memory for a stuck consumer of a restarting broker), 21 B.
// 10,762 -> 10,837 B (a Node user trial and a React trial): a 4101 before the welcome (a token
// function handing out a token already expired, a stale rotated file) is a refusal of that
// token, a TOKEN_ERROR with the backoff and a stop when the same one comes again (it was taken
// for a renewal and retried for ever in silence), -19 B; a key createClient does not know, at
// the top level or in reconnect/heartbeat/outbox, is BAD_ARGUMENT listing the known ones
// (`outbox: { ttl }` left publishes that never expired, `reconnect: { maxDelay }` the 30 s
// cap), 61 B; a renewal whose `authed` is read late (a Node consumer paused behind a backlog)
// is followed by the next one after the last interval (none was sent: a 4101 and a replay), 18 B;
// a channel keeps one presence.enter in flight and sends only the latest info after its answer
// (a typing indicator sent one per keystroke and the server refused most RATE_LIMITED), 11 B.
// 10,837 -> 10,838 B (a chaos soak): a 4100-4199 close while the token setToken() gave is not
// yet the connection's (its `auth` unanswered, or a server without `auth`) is a refusal of the
// old token, and the client reconnects with the new one (it stopped for good, AUTH_FAILED), 1 B.
// 10,838 -> 10,852 B (a review of the session's core changes): a 4101 before the welcome no
// longer stops the client when the token function gives the same token again (a file rotated a
// second after `exp`, or a clock a second behind, gave the old one once more, and a fleet
// stopped for good, AUTH_FAILED): backed off with a TOKEN_ERROR each time, 14 B.
const CORE_CEILING_BYTES = 10_852;
// Issue goal: react ≤ 1.5 KB on top of core. Met until session 15 (1,528 B); not met since
// the fixes of a React user trial (1,673 B): a message arriving while a kept subscription
// had no component (a remount within releaseDelayMs) was counted handled and lost without a
// gap; a component mounted after a gap showed it; a shared presence entry kept an unmounted
// component's info. Held the same way as core: a ceiling, and the distance to the goal printed.
// 1,810 B since the browser trial (session 16): a watch-only usePresence took a remounting
// useChannel's messages; a component shown again (<Activity>) or mounted with a `since`
// behind a channel other hooks keep subscribed went on live without a gap. 1,872 B since its
// review: the message another hook was still on was neither handed nor in the gap, and a
// `since` of another epoch beside another hook got no gap at all.
const REACT_ON_TOP_GOAL_BYTES = 1.5 * 1024;
// 1,875 B: react unchanged, core's new content shifts the difference (stack − core) by a
// few bytes of gzip either way. 1,910 B (session 17): a component hidden (<Activity>) before
// its channel's first subscribe answer went on live without a gap for what other hooks were
// handed meanwhile (it had no position to say it from), 35 B. 1,928 B: a loss core said after
// a component subscribed (a `since` out of retention) was said again as its own
// 'handler-skipped' gap, replacing core's, 18 B. 1,931 B: react unchanged, core's content
// moved the difference again (the auth trial's fixes). 1,990 B: the watcher for a channel's
// first position is one per channel (one per unmount grew without bound on a channel that
// never got a position), and a loss core said past where a component was is said as one gap
// of its own over both (the message another hook had in hand went unsaid), ~59 B. 1,993 B:
// react unchanged, core's content (in-band token renewal) moved the difference. 1,998 B
// (session 19): react's runtime unchanged (its changes are types), core's content (the
// delivery fixes, options given as undefined) moved the difference again.
// 2,054 B (session 19, a review): a subscription kept with no component no longer holds a
// message up for the channel's other components (core waits for every subscription, so they
// got nothing more for the whole releaseDelayMs), ~56 B. 2,056 B: react unchanged, core's
// content (the lifecycle fixes) moved the difference. 2,085 B: a component mounted under
// StrictMode showed a message another hook was still on (or a parked one let go at its
// mount) as its own handler-skipped gap, ~24 B. 2,087 B: react unchanged, core's content moved it.
// 2,082 B: core's content (the presence leave retry) moved it. 2,157 B (a model-based test of
// components, componentModel.test.tsx): a `since` judged beside another hook's `since` the
// server had not answered yet (a false gap, or a message handed twice), a component's own
// messages handed again after another handler threw, a StrictMode remount's gap cut short, ~75 B.
// 2,213 B (a browser trial): a component without `since` mounted beside another hook's old
// `since` no longer shows the first subscribe answer's out-of-retention gap, which covered
// messages from long before it mounted (a false alarm), ~56 B. 2,223 B: nor one whose own
// `since` is past the end of that loss (inside retention: it lost nothing), 10 B; 2,224 B with
// it null-safe on a server render. 2,232 B (session 22): a message a sync handler threw on is
// handed to it again after its effect ran again in the same task (a new releaseDelayMs); it
// counted as handled and was lost for that component without a gap, 8 B. 2,255 B: an effect
// run again in the same task takes its lease back as it was (one an async handler was still
// on counted as handled: if that promise rejected, the message was never handed to it again,
// a loss for that component without a gap), 23 B. 2,255 -> 2,118 B (session 23): a size
// pass with no behaviour change (one namespace import of React, ref-count state kept on the
// held value, one memo for the channel's callbacks, the handler ref holding the channel), -137 B.
// 2,126 B: useChannelMessages with `limit: 0` keeps the same empty list (a new one per batch
// re-rendered the component each time), 9 B, and core's content moved the difference; 2,127 B:
// react unchanged, core's content moved it by a byte. 2,127 -> 2,164 B (session 24, a React
// user trial): the Provider refuses a `releaseDelayMs` a timer cannot wait (Infinity, NaN,
// negative, 2^31 and more fired at once: everything released on the next tick, unsaid), ~35 B,
// and core's content moved the difference by 2 B. 2,166 B: react unchanged,
// core's content (the epochs a channel left, setToken(undefined)) moved it by 2 B.
// 2,162 B (session 26): react's runtime unchanged (its changes are docs and a test), core's
// content (lastError cleared, FORBIDDEN presence entered again) moved it by -4 B. 2,163 B:
// react unchanged, core's content (one gap per epoch while an async handler is busy) moved it by 1 B.
// 2,162 B (session 27): react unchanged, core's content (the publishing-path fixes) moved it by -1 B.
// 2,158 B: react unchanged, core's content (close() rejecting in publish order) moved it by -4 B.
// 2,164 B: react unchanged, core's size pass moved it by 6 B (core 39 B smaller, the stack
// of react and core 33 B smaller: 12,863 -> 12,830 B).
// 2,192 B (session 27, a socket.io migrator's trial): the Provider's `onError` listens on the
// client's `error` event from before a `url` Provider connects (an app had no way to listen to
// a client made inside the Provider: its first refusals were printed whatever it did), 28 B.
// 2,198 B (session 28): react's runtime unchanged (its changes are types and docs), core's
// content (the bounded losses, the trials' fixes) moved the difference by 6 B.
const REACT_ON_TOP_CEILING_BYTES = 2_198;
const reactExternal = ['react', 'react/jsx-runtime', 'react-dom'];

describe('browser bundle budgets (built dist)', () => {
  it(`bundles @lifeline/core from its dist with its dependencies, within its ${CORE_CEILING_BYTES.toLocaleString('en-US')} B ceiling (goal 6 KB) min+gzip`, async () => {
    const core: Measured = await measureBundle(everything('@lifeline/core'));
    expect(core.inputs.some((p) => p.includes('packages/core/dist/'))).toBe(true);
    console.info(`@lifeline/core: ${core.minBytes} B min, ${core.gzipBytes} B min+gzip (ceiling ${CORE_CEILING_BYTES}, goal ${CORE_GOAL_BYTES})`);
    if (core.gzipBytes > CORE_GOAL_BYTES) {
      console.warn(`@lifeline/core is ${core.gzipBytes - CORE_GOAL_BYTES} B over the 6 KB goal (issue: benchmarks and size budgets)`);
    }
    expect(core.gzipBytes).toBeLessThanOrEqual(CORE_CEILING_BYTES);
  });

  it(`adds at most its ${REACT_ON_TOP_CEILING_BYTES.toLocaleString('en-US')} B ceiling (goal 1.5 KB) min+gzip for @lifeline/react on top of core (react external)`, async () => {
    const core: Measured = await measureBundle(everything('@lifeline/core'));
    const stack: Measured = await measureBundle(everything('@lifeline/react'), { external: reactExternal });
    expect(stack.inputs.some((p) => p.includes('packages/react/dist/'))).toBe(true);
    // react is built on core: the stack must really contain it, or "on top" means nothing.
    expect(stack.inputs.some((p) => p.includes('packages/core/dist/'))).toBe(true);
    const onTop = stack.gzipBytes - core.gzipBytes;
    console.info(`@lifeline/react: ${stack.gzipBytes} B min+gzip with core, ${onTop} B on top (ceiling ${REACT_ON_TOP_CEILING_BYTES}, goal ${REACT_ON_TOP_GOAL_BYTES})`);
    if (onTop > REACT_ON_TOP_GOAL_BYTES) {
      console.warn(`@lifeline/react is ${onTop - REACT_ON_TOP_GOAL_BYTES} B over the 1.5 KB goal on top of core (issue: benchmarks and size budgets)`);
    }
    expect(onTop).toBeLessThanOrEqual(REACT_ON_TOP_CEILING_BYTES);
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
