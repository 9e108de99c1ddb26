import { attemptBins, burstStats, DEFAULT_BIN_MS } from './metrics/bins';
import { percentileTime, reconnectTimes } from './metrics/reconnectTimes';
import { addCounts, ZERO_COUNTS, type DeliveryCounts } from './metrics/delivery';
import { acceptStats, type AcceptSample } from './metrics/accepts';

export type Scenario = 'restart' | 'drain' | 'blip' | 'half-open' | 'flaky' | 'rolling';
export const SCENARIOS: readonly Scenario[] = ['restart', 'drain', 'blip', 'half-open', 'flaky', 'rolling'];
export type Strategy = 'full' | 'equal' | 'decorrelated' | 'none';
export const STRATEGIES: readonly Strategy[] = ['full', 'equal', 'decorrelated', 'none'];

/** Per-channel totals over every client. */
export interface ChannelResult extends DeliveryCounts {
  channel: string;
  /** Messages acknowledged by the server on this channel. */
  published: number;
}

/**
 * How a run was produced, so a report read on its own can be reproduced: its settings as
 * resolved (defaults filled in), storm's version and when it started.
 */
export interface RunSettings {
  channels: number;
  /** Messages per second asked of the publisher on each channel (`--publish-rate`). */
  publishRate: number;
  durationMs: number;
  downMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** The embedded server's heartbeat; null with a `target` (the external server's own). */
  heartbeatMs: number | null;
  /** The external server, a `user:password@` in it shown as `***@`; null for the embedded one. */
  target: string | null;
  workers: number;
  /** The embedded servers' broker; null with a `target`. */
  broker: string | null;
  /** The @lifeline/storm version that ran it. */
  stormVersion: string;
  /** When the run started, ISO 8601 (UTC). */
  startedAt: string;
}

/** Everything one run measured; the JSON report is an array (or one) of these. */
export interface RunResult {
  scenario: Scenario;
  strategy: Strategy;
  serverHint: boolean;
  clients: number;
  channels: number;
  /** Server admission rate per node, handshakes/s (null when unknown, e.g. an external target). */
  admissionRate: number | null;
  /** Server nodes admitting handshakes at once (`rolling`: 2); the fleet's capacity is `admissionRate × nodes`. */
  nodes: number;
  seed: number;
  /** Which client implementation ran: `core` (@lifeline/core) or another plugged in. */
  client: string;
  binMs: number;
  /** Connection attempts per bin, from the fault on. */
  attemptsPerBin: number[];
  /** Largest bin of `attemptsPerBin`. */
  peak: number;
  /** Mean per bin from the fault to the last attempt, over at least one second of bins. */
  mean: number;
  /**
   * peak ÷ mean: 1 is an even wave lasting a second or more; a one-bin stampede scores
   * 1000 / binMs. null when there was no attempt after the fault (no wave to shape).
   */
  peakToMean: number | null;
  peakOverCapacity: number | null;
  /** The peak bin as a rate, attempts/s (peak × 1000 / binMs). */
  peakPerSec: number;
  /** Attempts after the fault. */
  attempts: number;
  attemptsPerClient: number;
  t50Ms: number | null;
  t99Ms: number | null;
  t100Ms: number | null;
  /** Clients not connected (and subscribed) when the run ended. */
  notBack: number;
  /**
   * Clients whose connection dropped at least once after the fault (those `offlineP50Ms` /
   * `offlineP99Ms` are over); null when unknown (a `RawRun` without `offlineMs`), absent in
   * a result file from before it.
   */
  dropped: number | null;
  /**
   * Per client that dropped, its time offline since the fault summed over its outages
   * (not the time connected between two drops): median and 99th percentile; null when
   * nobody dropped (`dropped` 0) or too many never came back.
   */
  offlineP50Ms: number | null;
  offlineP99Ms: number | null;
  /** Handshakes refused by admission control (HTTP 503 / close 1013) after the fault. */
  refused: number;
  /**
   * Handshakes the servers accepted (every node) from the fault until the fleet was
   * back or the run's deadline passed; null when storm cannot read the server's
   * counters (an external `target`).
   */
  serverAccepted: number | null;
  /** Most handshakes the servers accepted in any 1 s window over the same span; null as above. */
  serverAcceptedPeakPerSec: number | null;
  /** Messages acknowledged by the server, all channels. */
  published: number;
  /**
   * Messages per second asked of the publisher on each channel (`publishRate`; the
   * run publishes channels × that in all); null when unknown (a `RawRun` without settings).
   */
  publishRate: number | null;
  /**
   * Messages acknowledged per second on each channel, on average over the time the
   * publisher ran: below `publishRate` when the server (or one request at a time per
   * channel) could not keep up; null when unknown.
   */
  achievedPublishRate: number | null;
  /** How the run was produced; null when unknown (a `RawRun` without settings). */
  settings: RunSettings | null;
  delivered: number;
  /** Messages a subscriber missed with no gap announced, except those `undelivered` to clients not back. */
  lost: number;
  /** Messages published after the last delivery to a client not back at the end (it was offline): not in `lost`. */
  undelivered: number;
  duplicated: number;
  reordered: number;
  gaps: number;
  gapped: number;
  perChannel: ChannelResult[];
  /** Wall time of the whole run, ms. */
  wallMs: number;
  /** Free-text remarks (e.g. which broker the embedded server used). */
  notes: string[];
}

/** What a run collects before it is summarised. */
export interface RawRun {
  scenario: Scenario;
  strategy: Strategy;
  serverHint: boolean;
  clients: number;
  admissionRate: number | null;
  /**
   * Server nodes admitting handshakes at once, each at `admissionRate` (the proxy
   * spreads attempts over them). @default 1
   */
  nodes?: number;
  seed: number;
  client: string;
  /** Attempt times relative to the fault, ms (earlier ones negative). */
  attemptTimesMs: number[];
  /** Per client: last (re)connect relative to the fault, 0 if never dropped, null if not back. */
  backAtMs: (number | null)[];
  /** Per client that dropped: its time offline since the fault, summed over its outages; null if not back. */
  offlineMs?: (number | null)[];
  refused: number;
  /**
   * The servers' accepted-handshake counter sampled over the wave (ms after the fault,
   * accepted since it); null or absent when it could not be read.
   */
  serverAccepts?: AcceptSample[] | null;
  channels: { channel: string; published: number; counts: DeliveryCounts }[];
  /** How long the publisher ran, ms: the span of the achieved publish rate. */
  publishingMs?: number;
  /** How the run was produced. */
  settings?: RunSettings;
  wallMs: number;
  notes: string[];
}

/** Turns raw observations into the published metrics. */
export function summarizeRun(raw: RawRun, binMs = DEFAULT_BIN_MS): RunResult {
  const bins = attemptBins(raw.attemptTimesMs, 0, binMs);
  const nodes = raw.nodes ?? 1;
  // Two nodes behind the proxy admit twice the handshakes: measure the wave against both.
  const burst = burstStats(bins, raw.admissionRate === null ? null : raw.admissionRate * nodes, binMs);
  const attempts = raw.attemptTimesMs.filter((t) => t >= 0).length;
  const times = reconnectTimes(raw.backAtMs);
  const total = raw.channels.reduce((acc, c) => addCounts(acc, c.counts), ZERO_COUNTS);
  const accepts = raw.serverAccepts ? acceptStats(raw.serverAccepts) : null;
  const published = raw.channels.reduce((n, c) => n + c.published, 0);
  return {
    scenario: raw.scenario,
    strategy: raw.strategy,
    serverHint: raw.serverHint,
    clients: raw.clients,
    channels: raw.channels.length,
    admissionRate: raw.admissionRate,
    nodes,
    seed: raw.seed,
    client: raw.client,
    binMs,
    attemptsPerBin: bins,
    peak: burst.peak,
    mean: round(burst.mean),
    peakToMean: burst.peakToMean === null ? null : round(burst.peakToMean),
    peakOverCapacity: burst.peakOverCapacity === null ? null : round(burst.peakOverCapacity),
    peakPerSec: round(burst.peakPerSec),
    attempts,
    attemptsPerClient: round(raw.clients ? attempts / raw.clients : 0),
    t50Ms: times.t50Ms === null ? null : Math.round(times.t50Ms),
    t99Ms: times.t99Ms === null ? null : Math.round(times.t99Ms),
    t100Ms: times.t100Ms === null ? null : Math.round(times.t100Ms),
    notBack: times.notBack,
    // Unknown is not 0: a caller without offlineMs got "n/a (nobody dropped)" next to
    // clients that were not back.
    dropped: raw.offlineMs === undefined ? null : raw.offlineMs.length,
    offlineP50Ms: roundMs(raw.offlineMs?.length ? percentileTime(raw.offlineMs, 50) : null),
    offlineP99Ms: roundMs(raw.offlineMs?.length ? percentileTime(raw.offlineMs, 99) : null),
    refused: raw.refused,
    serverAccepted: accepts ? accepts.accepted : null,
    serverAcceptedPeakPerSec: accepts ? round(accepts.peakPerSec) : null,
    published,
    publishRate: raw.settings?.publishRate ?? null,
    achievedPublishRate: raw.publishingMs !== undefined && raw.publishingMs > 0 && raw.channels.length > 0 ? round(published / raw.channels.length / (raw.publishingMs / 1000)) : null,
    settings: raw.settings ?? null,
    delivered: total.delivered,
    lost: total.lost,
    undelivered: total.undelivered,
    duplicated: total.duplicated,
    reordered: total.reordered,
    gaps: total.gaps,
    gapped: total.gapped,
    perChannel: raw.channels.map((c) => ({ channel: c.channel, published: c.published, ...c.counts })),
    wallMs: Math.round(raw.wallMs),
    notes: raw.notes,
  };
}

function roundMs(x: number | null): number | null {
  return x === null ? null : Math.round(x);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
