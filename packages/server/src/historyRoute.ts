import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHANNEL_NAME } from '@lifeline/core/protocol';
import { allows } from './auth';
import type { Broker, ReadResult, StoredMessage } from './broker/types';
import { isBrokerUnavailable } from './broker/redisErrors';
import type { ServerContext } from './context';
import { admit, fail, json, refuse } from './httpAuth';
import type { InFlight } from './inFlight';
import { retryHeaders } from './upgrade';
import { errorText } from './session/subscribeOps';
import { REPLAY_PAGE } from './replay';
import type { KeyedBuckets } from './tokenBucket';

/** `limit` when the query names none. */
export const DEFAULT_HISTORY_LIMIT = 100;
/**
 * The largest `limit` a request may ask for: one replay page, so a read holds at most what
 * a replay does (`REPLAY_PAGE × maxFrameBytes`, ~13 MiB at the defaults) while its answer is
 * built; at 1000 one request could hold 64 MiB.
 */
export const MAX_HISTORY_LIMIT = REPLAY_PAGE;
/**
 * An answer carries the newest messages that fit in this many bytes of JSON (the newest
 * one always): it stays in memory until the caller has read it, and 200 messages of
 * 60 KB were 12 MB per request (a caller that never read pinned ~1 GB with 20 requests).
 */
export const MAX_HISTORY_BYTES = 1 << 20;
/** History answers in progress per caller, and on the server in all (see {@link InFlight}). */
export const HISTORY_PER_CALLER = 4;
export const HISTORY_IN_FLIGHT = 64;
/** Reads tried when the channel's epoch changes under the request (a reset, a rotation). */
export const HISTORY_ATTEMPTS = 3;

/** One message of a history answer: a `msg` frame's fields (PROTOCOL.md §5) without `type` and `channel`. */
export type HistoryMessage = Omit<StoredMessage, 'channel'>;

/** The body of a 200 to `GET /v1/history`. */
export interface HistoryAnswer {
  channel: string;
  epoch: string;
  /**
   * Where a subscriber goes on from (`since: {offset, epoch}`): the last message returned,
   * or the head of `epoch` when none is (`limit` 0, nothing retained).
   */
  offset: number;
  /** The last `limit` retained messages (fewer when fewer are), ascending, all of `epoch`. */
  messages: HistoryMessage[];
}

/**
 * The last `limit` retained messages of `channel` and the position to resume from.
 *
 * The broker tells the head (`position`) and reads forward from an offset (`read`), in two
 * calls between which anything may happen; the answer is built from the `read` alone, so it
 * is one snapshot whatever happened:
 * - messages published in between are not a problem: `read` returns at most `limit` from
 *   just after `head - limit`, so the answer ends at or a little past the head first seen,
 *   and `offset` is the last message returned, never a head taken from the other call;
 * - messages trimmed in between make `read` start at the earliest retained one: still
 *   consecutive, still ending at `offset`;
 * - an epoch change in between (a memory-broker reset, a Redis rotation) makes the head
 *   meaningless for the new log: the read is tried again from the new head (at most
 *   {@link HISTORY_ATTEMPTS} reads); should the epoch still move, the last read is
 *   answered as it is, which is consistent too (its messages, its epoch, its head when it
 *   has none).
 */
export async function readHistory(broker: Broker, channel: string, limit: number, maxBytes = MAX_HISTORY_BYTES): Promise<HistoryAnswer> {
  const head = await broker.position(channel);
  if (limit <= 0) return { channel, epoch: head.epoch, offset: head.offset, messages: [] };
  let basis = head;
  let r: ReadResult;
  for (let attempt = 1; ; attempt++) {
    r = await broker.read(channel, Math.max(0, basis.offset - limit), limit);
    if (r.epoch === basis.epoch || attempt >= HISTORY_ATTEMPTS) break;
    basis = { offset: r.head, epoch: r.epoch };
  }
  const messages = newestWithin(
    r.messages.slice(0, limit).map((m): HistoryMessage => {
      const out: HistoryMessage = { offset: m.offset, epoch: r.epoch, data: m.data, ts: m.ts };
      if (m.id !== undefined) out.id = m.id;
      if (m.user !== undefined) out.user = m.user;
      return out;
    }),
    maxBytes,
  );
  const last = messages.at(-1);
  return { channel, epoch: r.epoch, offset: last ? last.offset : r.head, messages };
}

/**
 * The newest of `messages` whose JSON fits in `maxBytes` (the newest always): dropped from
 * the oldest end, the answer stays one run ending at its `offset`, and a subscriber
 * resuming from there misses nothing.
 */
function newestWithin(messages: HistoryMessage[], maxBytes: number): HistoryMessage[] {
  let bytes = 0;
  let from = messages.length;
  while (from > 0) {
    bytes += Buffer.byteLength(JSON.stringify(messages[from - 1])) + 1;
    if (bytes > maxBytes && from < messages.length) break;
    from--;
  }
  return from === 0 ? messages : messages.slice(from);
}

/** `limit`: absent → the default, else a decimal integer 0..MAX (anything else `undefined`). */
function parseLimit(values: string[]): number | undefined {
  if (values.length === 0) return DEFAULT_HISTORY_LIMIT;
  const [text] = values;
  if (values.length > 1 || !/^[0-9]{1,10}$/.test(text!)) return undefined;
  const n = Number(text);
  return n <= MAX_HISTORY_LIMIT ? n : undefined;
}

/** `GET` / `HEAD /v1/history?channel=<name>&limit=<n>` (PROTOCOL.md §9.1). */
export async function history(ctx: ServerContext, historyLimit: KeyedBuckets, inFlight: InFlight, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const caller = admit(ctx, historyLimit, 'history reads', req, res);
  if (!caller) return;
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  const channels = params.getAll('channel');
  const channel = channels[0];
  if (channels.length !== 1 || channel === undefined || !CHANNEL_NAME.test(channel)) {
    return fail(res, 400, 'BAD_FIELD', '"channel" is missing, repeated or invalid');
  }
  const limit = parseLimit(params.getAll('limit'));
  if (limit === undefined) return fail(res, 400, 'BAD_FIELD', `"limit" must be a decimal integer from 0 to ${MAX_HISTORY_LIMIT}`);
  if (!allows(caller.claims, 'subscribe', channel)) {
    ctx.stats.forbidden.http++; // as POST /v1/publish refused (stats().forbidden)
    return fail(res, 403, 'FORBIDDEN', `token does not allow subscribe on ${channel}`);
  }
  if (!inFlight.enter(caller.key)) {
    return refuse(req, res, 429, 'RATE_LIMITED', 'too many history reads in progress; retry in 1000 ms', retryHeaders(1000));
  }
  // Held until the answer is read to its end or the connection is gone, given back once
  // for whichever comes first: a pipelined request whose answer never got the socket (the
  // connection dropped while it waited its turn) emits no 'close' of its own, and four of
  // them locked the caller out for good. One not read within httpTimeoutMs is cut (its
  // connection: a queued answer has no socket to destroy), so a caller that never reads
  // gives its slot back.
  const { clock, httpTimeoutMs } = ctx.opts;
  const socket = req.socket;
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    socket.off('close', release);
    if (cut !== undefined) clock.clearTimeout(cut);
    inFlight.leave(caller.key);
  };
  const cut = Number.isFinite(httpTimeoutMs) ? clock.setTimeout(() => socket.destroy(), httpTimeoutMs) : undefined;
  res.once('close', release);
  socket.once('close', release);
  try {
    json(res, 200, await readHistory(ctx.broker, channel, limit));
  } catch (err) {
    if (isBrokerUnavailable(err)) return fail(res, 503, 'BROKER_UNAVAILABLE', 'broker unavailable', { 'Retry-After': '1' });
    fail(res, 500, 'INTERNAL', errorText(err, ctx.opts.logger, { channel }));
  }
}
