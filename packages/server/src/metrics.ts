import type { ServerResponse } from 'node:http';
import type { ServerContext } from './context';
import type { ServerStats } from './stats';
import { CLIENT_FRAME_TYPES } from './session/validate';
import { BROKER_CHECK_MS, brokerAnswers } from './brokerCheck';
import { liveGauges } from './liveGauges';

// GET /metrics: the counters of `server.stats()` in the Prometheus text exposition format
// (0.0.4). Only counts: no channel name, user, token or address is ever a label.

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** How long a scrape waits on the broker's health check (the bound /healthz has). */
export const METRICS_BROKER_TIMEOUT_MS = BROKER_CHECK_MS;

/**
 * The `type` label values, fixed: a series per value lives in the time-series database
 * for good, so a value taken from what a client sent would let any client create series
 * without bound. `binary` and `invalid` are what `stats()` counts for frames with no known type.
 */
export const FRAME_IN_TYPES: readonly string[] = [...CLIENT_FRAME_TYPES, 'binary', 'invalid'];
export const FRAME_OUT_TYPES: readonly string[] = [
  'welcome', 'subscribed', 'unsubscribed', 'msg', 'ack', 'presence', 'presence.ok', 'drain', 'authed', 'error', 'ping', 'pong',
];
/** Where a counted type outside the fixed lists goes (none today: a guard, not a bucket in use). */
const OTHER = 'other';

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline only (a quote is literal there). */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Every fixed type with its count (0 when none yet, so rates start from a known series), the rest summed under `other`. */
function byType(counts: Record<string, number>, types: readonly string[]): [string, number][] {
  const known = new Set(types);
  const out = new Map<string, number>(types.map((t) => [t, counts[t] ?? 0]));
  let other = 0;
  for (const [type, n] of Object.entries(counts)) if (!known.has(type)) other += n;
  out.set(OTHER, other);
  return [...out];
}

/** What the snapshot does not hold: read off the server at scrape time. */
export interface MetricsState {
  draining: boolean;
  brokerAvailable: boolean;
}

/** The exposition text for one scrape. */
export function renderMetrics(stats: ServerStats, state: MetricsState): string {
  const lines: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [labels: string, value: number][]): void => {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const typed = (counts: Record<string, number>, types: readonly string[]): [string, number][] =>
    byType(counts, types).map(([type, n]) => [`{type="${escapeLabelValue(type)}"}`, n]);
  family('lifeline_connections', 'gauge', 'Open WebSocket connections (/v1 and /echo).', [['', stats.connections]]);
  family('lifeline_handshakes_accepted_total', 'counter', 'WebSocket upgrades admitted by admission control.', [['', stats.handshakesAccepted]]);
  family('lifeline_handshakes_refused_total', 'counter', 'WebSocket upgrades refused with HTTP 503 (admission control, maxConnections or draining).', [['', stats.handshakesRefused]]);
  family('lifeline_frames_in_total', 'counter', 'Frames received on /v1, by frame type (invalid: unparsable or of no known type).', typed(stats.framesIn, FRAME_IN_TYPES));
  family('lifeline_frames_out_total', 'counter', 'Frames sent on /v1, by frame type.', typed(stats.framesOut, FRAME_OUT_TYPES));
  family('lifeline_channels', 'gauge', 'Channels this server is attached to for local subscribers.', [['', stats.channels]]);
  family('lifeline_presence_pending', 'gauge', 'Presence entries of closed connections waiting for their grace period to end.', [['', stats.presencePending]]);
  family('lifeline_replay_bytes', 'gauge', 'Bytes of replay pages read from the broker and not yet written to a socket.', [['', stats.replayBytes]]);
  family('lifeline_replay_held_bytes', 'gauge', 'Bytes of replay pages held against maxReplayBytes: read and not yet handed to the kernel, plus reservations of reads in progress.', [['', stats.replayHeldBytes]]);
  family('lifeline_replay_waiting', 'gauge', 'Replay page reads waiting for maxReplayBytes to have room.', [['', stats.replayWaiting]]);
  family('lifeline_replay_evictions_total', 'counter', 'Connections closed with 1013 for holding the most of a full maxReplayBytes without handing any to the kernel for replayStallMs while other replays waited as long.', [['', stats.replayEvictions]]);
  family('lifeline_accept_errors_total', 'counter', 'Connections the listening socket failed to accept as Node reports them (EMFILE/ENFILE); libuv hides most such failures.', [['', stats.acceptErrors]]);
  family('lifeline_forbidden_total', 'counter', 'Requests refused FORBIDDEN because the token does not allow them, by transport (ws: /v1 error frames; http: POST /v1/publish and GET /v1/history answered 403).', [
    ['{via="ws"}', stats.forbidden.ws],
    ['{via="http"}', stats.forbidden.http],
  ]);
  family('lifeline_draining', 'gauge', '1 from the moment a drain (its pre-drain delay included) or close begins, else 0.', [['', state.draining ? 1 : 0]]);
  family('lifeline_broker_available', 'gauge', `1 when the broker answered its health check (within ${METRICS_BROKER_TIMEOUT_MS} ms), else 0.`, [['', state.brokerAvailable ? 1 : 0]]);
  return `${lines.join('\n')}\n`;
}

/** Answers GET and HEAD /metrics (Node leaves the body out of a HEAD answer). */
export async function metrics(ctx: ServerContext, res: ServerResponse): Promise<void> {
  const available = await brokerAnswers(ctx);
  const stats = ctx.stats.snapshot(liveGauges(ctx));
  const text = renderMetrics(stats, { draining: ctx.notReady, brokerAvailable: available });
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
