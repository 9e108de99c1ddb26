import type { IncomingMessage, ServerResponse } from 'node:http';
import { allows } from './auth';
import type { ServerContext } from './context';
import type { FaultHooks } from './faults';
import { isBrokerUnavailable } from './broker/redisErrors';
import { errorText, unavailablePublishText } from './session/subscribeOps';
import type { KeyedBuckets } from './tokenBucket';
import { admit, fail, json, refuse } from './httpAuth';
import { history } from './historyRoute';
import { applyCors } from './httpCors';
import { originAllowed, pathOf } from './upgrade';
import type { RefusalCause } from './opsLog';
import type { InFlight } from './inFlight';
import { CHANNEL_NAME } from '@lifeline/core/protocol';
import { encodable, utf8Text, wellFormed } from './wireValues';
import { metrics } from './metrics';
import { brokerAnswers } from './brokerCheck';

/**
 * The HTTP API's rate buckets, per caller (token subject, or remote address on an open
 * server), `httpPublishPerSec` / `httpPublishBurst` each: reads do not eat into publishes.
 */
export interface HttpBuckets {
  publish: KeyedBuckets;
  history: KeyedBuckets;
  /** History answers not yet read to their end, per caller and in all. */
  historyInFlight: InFlight;
}

/** Plain HTTP: /healthz, /livez, /metrics (unless `metrics: false`), POST /v1/publish, GET /v1/history (both with CORS for listed origins), the test-only fault routes, 426/404 for the rest. */
export function handleHttp(
  ctx: ServerContext,
  faults: FaultHooks | undefined,
  buckets: HttpBuckets,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const path = pathOf(req.url);
  if (applyCors(ctx, path, req, res)) return;
  if (path === '/healthz' || path === '/livez') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'BAD_FRAME', 'use GET', { allow: 'GET, HEAD' });
    return path === '/livez' ? live(ctx, res) : void health(ctx, res);
  }
  // Off, it is any unknown path: a 405 would tell a scanner the route exists.
  if (path === '/metrics' && ctx.opts.metrics) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'BAD_FRAME', 'use GET', { allow: 'GET, HEAD' });
    return void metrics(ctx, res);
  }
  if (path === '/v1/publish') {
    if (req.method !== 'POST') return fail(res, 405, 'BAD_FRAME', 'use POST', { allow: 'POST' });
    return void publish(ctx, buckets.publish, req, res);
  }
  if (path === '/v1/history') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'BAD_FRAME', 'use GET', { allow: 'GET, HEAD' });
    return void history(ctx, buckets.history, buckets.historyInFlight, req, res);
  }
  if (faults && path.startsWith('/_test/faults/') && req.method === 'POST') return void faultRoute(faults, path, req, res);
  if (path === '/v1' || (path === '/echo' && ctx.opts.echo)) return fail(res, 426, 'BAD_FRAME', 'WebSocket upgrade required');
  fail(res, 404, 'NOT_FOUND', `no route ${path}`);
}

/**
 * Liveness: 200 while the process answers HTTP, draining and broker outage included.
 * /healthz is readiness (503 in both): a liveness probe on it restarted every node of a
 * fleet in one Redis outage.
 */
function live(ctx: ServerContext, res: ServerResponse): void {
  json(res, 200, { ok: true, draining: ctx.notReady, connections: ctx.stats.connections });
}

/**
 * Which refusal an answered HTTP request was, for the operator log (`undefined`: none):
 * 401 (bad or expired token), 403 for an origin not allowed, 429.
 */
export function httpRefusal(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): RefusalCause | undefined {
  switch (res.statusCode) {
    case 401:
      return String(res.getHeader('www-authenticate') ?? '').includes('token expired') ? 'http-expired-token' : 'http-bad-token';
    case 403:
      return originAllowed(ctx, req) ? undefined : 'http-origin';
    case 429:
      return 'http-rate-limited';
    default:
      return undefined;
  }
}

async function health(ctx: ServerContext, res: ServerResponse): Promise<void> {
  const healthy = await brokerAnswers(ctx);
  const ok = healthy && !ctx.notReady;
  json(res, ok ? 200 : 503, { ok, broker: healthy, draining: ctx.notReady, connections: ctx.stats.connections });
}

/** Reads at most `limit` bytes; `undefined` as soon as the body is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      resolve(undefined);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function publish(ctx: ServerContext, publishLimit: KeyedBuckets, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { opts, broker } = ctx;
  const caller = admit(ctx, publishLimit, 'publishes', req, res);
  if (!caller) return;
  const { claims } = caller;
  let bytes: Buffer | undefined;
  try {
    bytes = await readBody(req, opts.maxFrameBytes);
  } catch {
    return fail(res, 400, 'BAD_FRAME', 'could not read the request body');
  }
  // Answer, then drop the connection rather than read an oversized body to its end.
  if (bytes === undefined) return refuse(req, res, 413, 'FRAME_TOO_LARGE', `body above ${opts.maxFrameBytes} bytes`);
  // As a WebSocket text frame that is not UTF-8 is closed 1007 (PROTOCOL.md §2).
  const text = utf8Text(bytes);
  if (text === undefined) return fail(res, 400, 'BAD_FRAME', 'body is not valid UTF-8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail(res, 400, 'BAD_FRAME', 'body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(res, 400, 'BAD_FRAME', 'body must be a JSON object');
  const { channel, data } = body as Record<string, unknown>;
  // `"id": null` is an absent id (it is optional), as JSON writers often emit for a missing field.
  const id = (body as Record<string, unknown>).id ?? undefined;
  if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel)) return fail(res, 400, 'BAD_FIELD', '"channel" is missing or invalid');
  if (data === undefined) return fail(res, 400, 'BAD_FIELD', '"data" is required');
  if (!encodable(data)) return fail(res, 400, 'BAD_FIELD', '"data" is nested too deeply to be sent on');
  if (id !== undefined && (typeof id !== 'string' || id.length < 1 || id.length > 128 || !wellFormed(id))) {
    return fail(res, 400, 'BAD_FIELD', '"id" must be a well-formed string of 1-128 characters');
  }
  if (!allows(claims, 'publish', channel)) {
    // Counted as a `pub` refused over /v1 is (stats().forbidden): uncounted, a backend whose
    // token lost a grant showed up nowhere but in its own logs.
    ctx.stats.forbidden.http++;
    return fail(res, 403, 'FORBIDDEN', `token does not allow publish on ${channel}`);
  }
  try {
    // Stamped with the bearer token's `sub` (none on an open server or without one); a
    // `user` in the body is not read (PROTOCOL.md §9).
    const r = await broker.publish(channel, data, id as string | undefined, claims?.sub);
    json(res, 200, r.duplicate ? { offset: r.offset, epoch: r.epoch, duplicate: true } : { offset: r.offset, epoch: r.epoch });
  } catch (err) {
    if (isBrokerUnavailable(err)) {
      return fail(res, 503, 'BROKER_UNAVAILABLE', unavailablePublishText(err, id !== undefined), { 'Retry-After': '1' });
    }
    fail(res, 500, 'INTERNAL', `not stored: ${errorText(err, opts.logger, { channel })}`);
  }
}

/** Test-only (`faults: true` / `--test-faults`): POST /_test/faults/{drop-all,stall-all,delay,restart}. */
async function faultRoute(faults: FaultHooks, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  req.resume();
  const num = (name: string): number | undefined => (params.has(name) ? Number(params.get(name)) : undefined);
  switch (path.slice('/_test/faults/'.length)) {
    case 'drop-all':
      faults.dropAll(num('code'));
      return json(res, 200, { ok: true });
    case 'stall-all':
      faults.stallAll();
      return json(res, 200, { ok: true });
    case 'delay':
      faults.delay(num('ms') ?? 0);
      return json(res, 200, { ok: true });
    case 'restart':
      await faults.restart();
      return json(res, 200, { ok: true });
    default:
      return fail(res, 404, 'NOT_FOUND', 'unknown fault');
  }
}
