import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StormAbortSignal } from './abortSignal';
import { StormError } from '../errors';
import { silentProgress, type Progress } from '../report/progress';
import { summarizeRun, type RunResult } from '../result';
import type { SimClientFactory } from './clients/types';
import { EmbeddedFleet } from './embedded';
import { runChannels } from './channelNames';
import { resolveOptions, runBroker, STEADY_MS, TAIL_GRACE_MS, warmupConnectRate, warmupLimitMs, type ResolvedStormOptions, type StormOptions } from './options';
import { checkTokenLifetime } from './tokenExpiry';
import { probeTarget } from './targetProbe';
import { redactTarget, unusedTargetNote } from '../proxy/targetText';
import { asFileLimitError, checkOpenFileLimit, readOpenFileLimit } from './fileLimit';
import { Publisher, sleep } from './publisher';
import { deriveSeed, seededRandom } from './rng';
import { scenarios } from './scenarios';
import { localShard, processShard, type ShardHandle } from './shardHandle';
import { shardNetwork } from './network';
import type { ShardReport } from './shard';
import { waitUntil as pollUntil } from './waitUntil';
import { percentileTime } from '../metrics/reconnectTimes';
import { ZERO_COUNTS, type DeliveryCounts } from '../metrics/delivery';
import { attemptBins, DEFAULT_BIN_MS } from '../metrics/bins';
import { stallNote, type ProcessStall } from '../metrics/stalls';
import { stormVersion } from '../version';
import { ACCEPT_SAMPLE_MS, AcceptLog } from './acceptLog';

export interface RunHooks {
  /** @default silent */
  progress?: Progress | undefined;
  /** A custom client implementation (runs in this thread; workers need a named client). */
  clientFactory?: SimClientFactory | undefined;
  /**
   * Stops the run: it rejects with StormError('INTERRUPTED') once everything is closed
   * as at the end of a run (clients, proxies, servers, the run's Redis keys deleted).
   */
  signal?: StormAbortSignal | undefined;
}

/** After publishing stops, how long clients get to deliver the tail, ms (never past the tail's end, below). */
const CATCH_UP_MS = 10_000;
/** Longest a publish still in flight holds up the end of traffic, ms (likewise). */
const PUBLISHER_STOP_MS = 10_000;

/**
 * Runs one scenario end to end: servers (embedded unless `target`), the chaos proxy
 * in front, the client fleet, a publisher, the fault, recovery, and the analysis.
 * Every socket is on loopback; every phase has a deadline; everything is closed at
 * the end, also on failure. From the fault on, the run waits at most `durationMs` for
 * the fault and the recovery together, then at most {@link TAIL_GRACE_MS} for the tail.
 */
export async function runStorm(input: StormOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const o = resolveOptions(input);
  const def = scenarios[o.scenario];
  const progress = hooks.progress ?? silentProgress;
  if (hooks.clientFactory && o.workers > 0) throw new StormError('BAD_OPTION', 'a custom clientFactory runs in this thread: set workers to 0');
  // Before anything starts: a token that expires mid-run ended it with 4101 closes.
  checkTokenLifetime(o);
  // Before anything starts: a run over the open-file limit used to connect for the whole
  // warm-up and fail with `connect EMFILE` (or crash with `listen EMFILE`).
  const fileNote = checkOpenFileLimit(o, readOpenFileLimit());
  const started = Date.now();
  const notes: string[] = fileNote === null ? [] : [fileNote];
  // An external server's admission rate is only known when the user states it: the
  // default (a setting of the embedded server) used to be reported as the target's.
  const admissionKnown = o.target === undefined || input.admissionRate !== undefined;
  // The servers share this thread: a long event-loop stall explains slow handshakes.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  // Set inside body(): `as` keeps TypeScript from narrowing them to null in the finally.
  let fleet = null as EmbeddedFleet | null;
  let shards: ShardHandle[] = [];
  let publisher = null as Publisher | null;
  let acceptLog = null as AcceptLog | null;
  let fleetStarting = null as Promise<EmbeddedFleet> | null;
  const signal = hooks.signal;
  const interrupted = () => new StormError('INTERRUPTED', `run interrupted (${String(signal?.reason ?? 'aborted')})`);
  // Every wait of the run polls through here, so a stopped run goes no further.
  const waitUntil = (cond: () => Promise<boolean>, deadline: number) =>
    pollUntil(async () => {
      if (signal?.aborted) throw interrupted();
      return cond();
    }, deadline);
  const body = async (): Promise<RunResult> => {
    // rolling uses the Redis broker when it is there (unless a broker was chosen).
    const broker = runBroker(input);
    if (!o.target) {
      fleetStarting = EmbeddedFleet.start(def.nodes, { admissionRate: o.admissionRate, heartbeatMs: o.heartbeatMs, broker });
      fleet = await fleetStarting;
      notes.push(...fleet.notes);
    } else {
      // Nothing listening there: said now, not after the warm-up's 30 s as "ECONNRESET".
      await probeTarget(o.target);
      const shown = redactTarget(o.target);
      notes.push(admissionKnown
        ? `external target ${shown}: admission rate as given (${o.admissionRate}/s)`
        : `external target ${shown}: admission rate unknown (no --admission-rate given), so no peak ÷ capacity`);
      const unused = unusedTargetNote(o.target);
      if (unused) notes.push(unused);
    }
    const channels = runChannels(o.seed, o.channels);
    shards = makeShards(o, fleet ? fleet.urls() : [targetBases(o.target!).ws], channels, hooks.clientFactory);
    const connectRate = warmupConnectRate(o);
    const via = def.network === 'direct' ? 'connecting straight to the servers (no network faults here)' : 'each behind its own chaos proxy';
    notes.push(`client: ${hooks.clientFactory ? 'custom' : o.client}, ${Math.max(1, o.workers)} shard(s)${o.workers > 0 ? ' in worker processes' : ''}, ${via}, warm-up at ${Math.round(connectRate)} connects/s`);

    // 1. Warm-up: connect the fleet under the admission rate.
    progress.update(0, 'connecting');
    await Promise.all(shards.map((s) => s.start()));
    const warmDeadline = Date.now() + warmupLimitMs(o);
    const warm = await waitUntil(async () => {
      const st = await statusAll(shards);
      progress.update((0.3 * st.ready) / o.clients, `connecting ${st.ready}/${o.clients}`);
      // A client that gave up for good (token refused, HTTP 404) will not connect: the
      // warm-up used to wait its full 30 s and more for it.
      if (st.refusal) throw new StormError('RUN_FAILED', `a client gave up during warm-up: ${st.refusal}${authAdvice(st.refusal, o.token)}`);
      // Connected but never subscribed: the warm-up waited its full deadline and said
      // only SERVER_ERROR×4. With a token it is its subscribe claim (the server without a
      // secret forbids no channel), and waiting longer cannot help.
      if (o.token !== undefined && st.forbidden) {
        throw new StormError('RUN_FAILED', `a client's subscribe was refused during warm-up: ${st.forbidden} (the --token's subscribe claim must cover the storm:* channels, e.g. "subscribe": ["storm:*"], or leave the claim out)`);
      }
      return st.ready === o.clients;
    }, warmDeadline);
    if (!warm) {
      const diag = mergeReports(await Promise.all(shards.map((s) => s.collect(channels.map(() => [])))), Date.now());
      const errs = Object.entries(diag.errors).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([m, n]) => `${m} ×${n}`).join('; ');
      const codes = Object.entries(diag.closeCodes).map(([c, n]) => `${c}×${n}`).join(', ');
      throw new StormError('RUN_FAILED', `only ${(await statusAll(shards)).ready}/${o.clients} clients connected during warm-up (${diag.attempts.length} attempts; closes: ${codes || 'none'}; errors: ${errs || 'none'}; errors reported by clients: ${byCodeWithFirst(diag.clientErrors, diag.clientErrorMessages)}; server refusals: ${fleet?.refused() ?? 'n/a'})`);
    }

    // 2. Steady traffic, then the fault.
    const external = o.target ? targetBases(o.target) : null;
    const httpUrl = () => (fleet ? fleet.httpUrl() : external!.http);
    if (signal?.aborted) throw interrupted();
    publisher = new Publisher(channels, o.publishRate, httpUrl, `storm-${o.seed}-${started}`, o.token);
    publisher.start();
    await sleep(STEADY_MS, signal);
    if (signal?.aborted) throw interrupted();
    await Promise.all(shards.map((s) => s.markFault()));
    const tFault = Date.now();
    const refusedBefore = fleet ? fleet.refused() : 0;
    // How fast the servers took the wave in, from their own counter (every node, old and new).
    if (fleet) {
      acceptLog = new AcceptLog(() => fleet!.accepted());
      acceptLog.start(tFault);
    }
    const deadline = tFault + o.durationMs;
    const remainingMs = () => Math.max(0, deadline - Date.now());
    const random = seededRandom(deriveSeed(o.seed, 0xc4a05));
    const waitForFleet = async (dropped = 0) => {
      await waitUntil(async () => {
        const st = await statusAll(shards);
        return st.dropped >= dropped && st.ready === o.clients;
      }, deadline);
    };
    progress.update(0.3, `${o.scenario}: fault`);
    const net = shardNetwork(shards, random);
    const timeline: string[] = [];
    const mark = (step: string) => timeline.push(`${step} +${Date.now() - tFault} ms`);
    // The fault's own waits end by the deadline too (a flaky step, the half-open pause).
    const sleepInRun = async (ms: number) => {
      await sleep(Math.min(ms, remainingMs()), signal);
      if (signal?.aborted) throw interrupted();
    };
    await def.run({ options: o, net, fleet, random, sleep: sleepInRun, remainingMs, waitForFleet, notes, mark });
    mark('fault over');
    notes.push(`timeline: ${timeline.join(', ')}`);

    // 3. Recovery: every client back (and, where the fault hit everyone, every one dropped first).
    const recovered = await waitUntil(async () => {
      const st = await statusAll(shards);
      const dropped = def.dropsEveryone ? st.dropped : o.clients;
      // `back` as the result counts it: ready clients that have not noticed the fault yet
      // made the bar say "300/300 back" right after it, then "23/300".
      progress.update(0.3 + (0.6 * st.back) / o.clients, `${o.scenario}: ${st.back}/${o.clients} back`);
      return st.ready === o.clients && dropped === o.clients;
    }, deadline);
    // "not back" is counted at the end of the run: clients back during the tail are not in it.
    if (!recovered) notes.push(`not every client recovered within ${o.durationMs} ms (--duration); "not back" counts those still not back at the end of the run`);
    // The wave is over: later accepts (none, once everyone is back) are not part of it.
    acceptLog?.sample(Date.now());
    acceptLog?.stop();
    const acceptSpan = acceptLog?.samples().at(-1)?.atMs ?? 0;
    notes.push(
      acceptLog
        ? `server-side accepts: the servers' handshake counter read every ${ACCEPT_SAMPLE_MS} ms from the fault until ${recovered ? 'the fleet was back' : 'the deadline'} (+${acceptSpan} ms); peak over 1 s windows`
        : 'server-side accepts not measured: an external --target does not expose its handshake counter to storm',
    );

    // 4. Steady traffic again, stop publishing, let the tail arrive: all of it by tailEnd,
    // so a run that did not recover (or recovered at the last moment) still stops soon
    // after durationMs. (It used to wait up to 10 s for a publish and 10 s more for
    // clients that were never coming back.)
    const tailEnd = Math.max(deadline, Date.now()) + TAIL_GRACE_MS;
    const tailLeft = () => Math.max(0, tailEnd - Date.now());
    await sleep(Math.min(STEADY_MS, tailLeft()));
    await publisher.stop(Math.min(PUBLISHER_STOP_MS, tailLeft()));
    progress.update(0.92, 'delivering the tail');
    const lastSeq = publisher.published.map((p) => p.at(-1)?.seq ?? 0);
    const caughtUp = await waitUntil(async () => {
      const n = await Promise.all(shards.map((s) => s.caughtUp(lastSeq)));
      return n.reduce((a, b) => a + b, 0) === o.clients;
    }, Math.min(Date.now() + CATCH_UP_MS, tailEnd));
    if (!caughtUp && recovered) notes.push(`the tail ended (at most ${TAIL_GRACE_MS} ms after the duration) before every client had delivered the last message`);

    // 5. Analysis.
    const reports = await Promise.all(shards.map((s) => s.collect(publisher!.published)));
    const raw = mergeReports(reports, tFault);
    progress.done();
    const ps = (await Promise.all(shards.map((sh) => sh.proxyStats()))).reduce(
      (a, x) => ({ accepted: a.accepted + (x?.accepted ?? 0), refused: a.refused + (x?.refused ?? 0), cut: a.cut + (x?.cut ?? 0) }),
      { accepted: 0, refused: 0, cut: 0 },
    );
    if (def.network !== 'direct') notes.push(`proxy: ${ps.accepted} connections accepted, ${ps.refused} not forwarded (no live target), ${ps.cut} cut`);
    // Scoped as the table's `refused` is (after the fault), the warm-up's apart: counted
    // over the whole run, the 503s did not add up to `refused` and nothing said why.
    notes.push(`socket closes seen by clients, by code: during warm-up: ${byCode(raw.warmup.closeCodes)}; after the fault: ${byCode(raw.closeCodes)}`);
    if (raw.warmup.refused > 0) notes.push(`refusals during warm-up (not in "refused", which counts from the fault): ${raw.warmup.refused}`);
    if (raw.dropAt.length > 0) {
      const at = (q: number) => percentileTime(raw.dropAt, q);
      notes.push(`clients saw their connection drop at p1 +${at(1)} ms, p50 +${at(50)} ms, p99 +${at(99)} ms after the fault`);
    }
    if (raw.refusedAt.length > 0) {
      const at = (q: number) => percentileTime(raw.refusedAt, q);
      notes.push(`refusals reached clients at p1 +${at(1)} ms, p50 +${at(50)} ms, p99 +${at(99)} ms after the fault`);
    }
    const p99 = Math.max(...reports.map((r) => r.loopDelay.p99Ms));
    const max = Math.max(...reports.map((r) => r.loopDelay.maxMs));
    const where = o.workers > 0 ? `the ${reports.length} client processes` : o.target ? 'the clients (this process)' : 'the clients (in the servers\' process)';
    notes.push(`event-loop delay of ${where} after the fault, worst: p99 ${p99} ms, max ${max} ms`);
    const bins = attemptBins(raw.attempts, 0);
    notes.push(stallNote(raw.stalls, bins.length ? bins.indexOf(Math.max(...bins)) : -1, DEFAULT_BIN_MS, o.workers > 0 ? 'client-process' : 'in-process client'));
    // With --target the servers run elsewhere: this loop is the clients' (said above).
    if (!o.target) notes.push(`server thread event-loop delay: p99 ${Math.round(loopDelay.percentile(99) / 1e6)} ms, max ${Math.round(loopDelay.max / 1e6)} ms`);
    for (const [when, seen] of [['during warm-up', raw.warmup], ['after the fault', raw]] as const) {
      const errs = Object.entries(seen.errors).sort((a, b) => b[1] - a[1]).slice(0, 4);
      if (errs.length) notes.push(`socket errors seen by clients ${when}: ${errs.map(([m, n]) => `${m} ×${n}`).join('; ')}`);
      const clientErrs = Object.entries(seen.clientErrors).sort((a, b) => b[1] - a[1]);
      if (clientErrs.length) notes.push(`errors reported by clients ${when}, by code: ${byCodeWithFirst(seen.clientErrors, seen.clientErrorMessages)}`);
    }
    const unexpected = raw.counts.reduce((n, c) => n + c.unexpected, 0);
    if (unexpected > 0) notes.push(`${unexpected} deliveries of messages the publisher never saw acknowledged`);
    const rateNote = publishRateNote(o.publishRate, publisher.published.reduce((n, p) => n + p.length, 0), o.channels, publisher.publishingMs());
    if (rateNote) notes.push(rateNote);
    if (publisher.failures > 0) notes.push(`${publisher.failures} publish attempts failed and were retried with the same id`);
    const refusedPublishes = Object.entries(publisher.statuses);
    if (refusedPublishes.length) {
      const advice = publishAdvice(publisher.statuses, o.token);
      notes.push(`publishes answered with an error, by HTTP status: ${refusedPublishes.map(([c, n]) => `${c}×${n}`).join(', ')}${advice ? ` (${advice})` : ''}`);
    }
    return summarizeRun({
      scenario: o.scenario,
      strategy: o.strategy,
      serverHint: o.serverHint,
      clients: o.clients,
      admissionRate: admissionKnown ? o.admissionRate : null,
      nodes: o.target ? 1 : def.nodes,
      seed: o.seed,
      client: hooks.clientFactory ? 'custom' : o.client,
      attemptTimesMs: raw.attempts,
      backAtMs: raw.backAt,
      offlineMs: raw.offline,
      refused: fleet ? fleet.refused() - refusedBefore : raw.refused,
      serverAccepts: acceptLog ? acceptLog.samples() : null,
      channels: channels.map((channel, i) => ({ channel, published: publisher!.published[i]!.length, counts: raw.counts[i]! })),
      publishingMs: publisher.publishingMs(),
      settings: {
        channels: o.channels,
        publishRate: o.publishRate,
        durationMs: o.durationMs,
        downMs: o.downMs,
        initialDelayMs: o.initialDelayMs,
        maxDelayMs: o.maxDelayMs,
        heartbeatMs: o.target ? null : o.heartbeatMs,
        target: o.target ? redactTarget(o.target) : null,
        workers: o.workers,
        // What the nodes used: `auto` resolved (it said `auto` whichever it was).
        broker: o.target ? null : fleet?.brokerUsed || broker,
        stormVersion: stormVersion(),
        startedAt: new Date(started).toISOString(),
      },
      wallMs: Date.now() - started,
      notes,
    });
  };
  try {
    return await untilAborted(body(), signal, interrupted);
  } catch (e) {
    // Out of open files mid-run: said as such, not as a Node stack.
    throw asFileLimitError(e);
  } finally {
    loopDelay.disable();
    acceptLog?.stop();
    progress.done();
    await publisher?.stop(0).catch(() => {});
    await Promise.allSettled(shards.map((s) => s.close()));
    // Stopped while the servers were starting: they are closed (and their keys deleted) too.
    fleet ??= await fleetStarting?.catch(() => null) ?? null;
    await fleet?.close().catch(() => {});
  }
}

/** `work`, or a rejection with `interrupted()` as soon as `signal` aborts (`work` then ends on its own). */
function untilAborted<T>(work: Promise<T>, signal: StormAbortSignal | undefined, interrupted: () => Error): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(interrupted());
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(interrupted());
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/**
 * A note when the publisher reached less than 90 % of the rate asked (per channel), else
 * null: the achieved rate was never reported, so a run that published 39 % of what was
 * asked looked like the load it was asked for.
 */
export function publishRateNote(asked: number, published: number, channels: number, publishingMs: number): string | null {
  if (publishingMs <= 0 || channels <= 0) return null;
  const achieved = published / channels / (publishingMs / 1000);
  if (achieved >= 0.9 * asked) return null;
  const r = (x: number) => (Math.round(x * 100) / 100).toString();
  return `the publisher reached ${r(achieved)}/s per channel (${r(achieved * channels)}/s over ${channels} channel(s)) of the ${r(asked)}/s per channel asked (${Math.round((100 * achieved) / asked)} %): each channel publishes one request at a time, so a slow server (or one down) holds it back`;
}

/** `1006×1500, HTTP 503×560`, or `none`. */
function byCode(counts: Record<string, number>): string {
  return Object.entries(counts).map(([c, n]) => `${c}×${n}`).join(', ') || 'none';
}

/** As {@link byCode}, most frequent first, each with its first message: `SERVER_ERROR×4 (first: FORBIDDEN: …)`. */
export function byCodeWithFirst(counts: Record<string, number>, first: Record<string, string> | undefined): string {
  const items = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return items.map(([c, n]) => `${c}×${n}${first?.[c] !== undefined ? ` (first: ${first[c]})` : ''}`).join(', ') || 'none';
}

/**
 * What the publisher's 401 and 403 answers mean for this run, apart: a 401 is the token
 * (refused or expired, or none given), a 403 its publish claim. '' without either.
 */
export function publishAdvice(statuses: Record<number, number>, token: string | undefined): string {
  const out: string[] = [];
  if (statuses[401]) out.push(token === undefined ? '401: the server wants a token: pass --token' : '401: the --token was refused (its signature) or has expired (its exp)');
  if (statuses[403]) out.push(token === undefined ? '403: the server forbids these publishes' : '403: the --token\'s publish claim does not cover the storm:* channels');
  return out.join('; ');
}

/**
 * What to do about a client refused for its token during the warm-up. Core's own words
 * ("call setToken()") mean nothing to someone running the CLI against a server with a secret.
 */
export function authAdvice(refusal: string, token: string | undefined): string {
  if (!/^AUTH_FAILED\b|\(41\d\d\)/.test(refusal)) return '';
  return token === undefined
    ? ' (the server requires a token: pass --token <jwt>, StormOptions.token, signed with its secret)'
    : ' (the server refused the --token given: check its signature and its exp (the token must outlive the run))';
}

/** `ws://h:p/anything` → the ws and http origins (clients add `/v1`, the publisher `/v1/publish`). */
function targetBases(target: string): { ws: string; http: string } {
  const u = new URL(/^[a-z]+:\/\//i.test(target) ? target : `ws://${target}`);
  const secure = u.protocol === 'wss:' || u.protocol === 'https:';
  return { ws: `${secure ? 'wss' : 'ws'}://${u.host}`, http: `${secure ? 'https' : 'http'}://${u.host}` };
}

function makeShards(o: ResolvedStormOptions, targets: string[], channels: string[], factory?: SimClientFactory): ShardHandle[] {
  const count = Math.max(1, o.workers);
  const connectRate = warmupConnectRate(o);
  const per = Math.ceil(o.clients / count);
  const out: ShardHandle[] = [];
  for (let k = 0; k < count; k++) {
    const from = k * per;
    const to = Math.min(o.clients, from + per);
    if (from >= to) break;
    const spec = {
      targets, from, to, channels,
      strategy: o.strategy,
      serverHint: o.serverHint,
      initialDelayMs: o.initialDelayMs,
      maxDelayMs: o.maxDelayMs,
      seed: o.seed,
      client: o.client,
      connectRate: connectRate / count,
      direct: scenarios[o.scenario].network === 'direct',
      mustDrop: scenarios[o.scenario].dropsEveryone,
      ...(o.token !== undefined ? { token: o.token } : {}),
    };
    out.push(o.workers > 0 ? processShard(spec) : localShard(spec, factory));
  }
  return out;
}

async function statusAll(shards: ShardHandle[]) {
  const all = await Promise.all(shards.map((s) => s.status()));
  return all.reduce(
    (a, s) => ({ ready: a.ready + s.ready, dropped: a.dropped + s.dropped, back: a.back + (s.back ?? s.ready), refusal: a.refusal ?? s.refusal, forbidden: a.forbidden ?? s.forbidden ?? null }),
    { ready: 0, dropped: 0, back: 0, refusal: null as string | null, forbidden: null as string | null },
  );
}

/** The shards' reports as one fleet's, times relative to the fault (exported for tests). */
export function mergeReports(reports: ShardReport[], tFault: number) {
  const attempts: number[] = [];
  const backAt: (number | null)[] = [];
  const offline: (number | null)[] = [];
  const dropAt: number[] = [];
  const refusedAt: number[] = [];
  const stalls: ProcessStall[] = [];
  let refused = 0;
  const closeCodes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const clientErrors: Record<string, number> = {};
  const clientErrorMessages: Record<string, string> = {};
  const warmup = { refused: 0, closeCodes: {} as Record<string, number>, errors: {} as Record<string, number>, clientErrors: {} as Record<string, number>, clientErrorMessages: {} as Record<string, string> };
  const first = (into: Record<string, string>, from: Record<string, string> | undefined) => {
    for (const [k, m] of Object.entries(from ?? {})) into[k] ??= m;
  };
  const add = (into: Record<string, number>, from: Record<string, number> | undefined) => {
    for (const [k, n] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + n;
  };
  const counts: DeliveryCounts[] = reports[0]!.counts.map(() => ({ ...ZERO_COUNTS }));
  reports.forEach((r, process) => {
    for (const st of r.stalls) if (st.atMs >= tFault) stalls.push({ atMs: st.atMs - tFault, ms: st.ms, process });
    for (const t of r.attempts) attempts.push(t - tFault);
    r.openSince.forEach((t, k) => {
      backAt.push(t === null ? null : Math.max(0, t - tFault));
      const d = r.droppedAt[k] ?? null;
      if (d !== null) {
        // Summed over its drops (a shard without the sum: first drop to last reconnect).
        const summed = r.offlineMs?.[k];
        offline.push(t === null ? null : summed !== undefined && summed !== null ? summed : Math.max(0, t - d));
        dropAt.push(Math.max(0, d - tFault));
      }
    });
    refused += r.refused;
    for (const t of r.refusedAt) if (t >= tFault) refusedAt.push(t - tFault);
    add(errors, r.errors);
    add(clientErrors, r.clientErrors);
    add(closeCodes, r.closeCodes);
    warmup.refused += r.warmup?.refused ?? 0;
    add(warmup.closeCodes, r.warmup?.closeCodes);
    add(warmup.errors, r.warmup?.errors);
    add(warmup.clientErrors, r.warmup?.clientErrors);
    first(clientErrorMessages, r.clientErrorMessages);
    first(warmup.clientErrorMessages, r.warmup?.clientErrorMessages);
    r.counts.forEach((c, i) => {
      const acc = counts[i]!;
      for (const k of Object.keys(acc) as (keyof typeof acc)[]) acc[k] += c[k];
    });
  });
  return { attempts, backAt, offline, dropAt, refusedAt, refused, closeCodes, errors, clientErrors, clientErrorMessages, warmup, counts, stalls };
}
