import { validateHeaderName, validateHeaderValue } from 'node:http';
import { LifelineNodeError, showValue } from './errors';
import { checkKnownKeys, TLS_OPTION_KEYS } from './optionKeys';
import type { TransportOptions } from './nodeSocket';

/** Node's timers (and `ws`'s handshake timer) fire after 1 ms for any delay above this. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const bad = (message: string) => new LifelineNodeError('BAD_OPTION', message);

/** A whole number of ms in [1, 2^31 - 1], or undefined. */
export function checkDelay(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value >= 1 && value <= MAX_TIMER_MS)) {
    throw bad(`${name} must be a number of ms between 1 and 2^31 - 1 (got ${showValue(value)})`);
  }
}

/** An integer in [1, max], or undefined. */
export function checkCount(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw bad(`${name} must be an integer between 1 and ${max} (got ${showValue(value)})`);
  }
}

/** The transport options with `agent` as given (an `http.Agent` or core's hello text). */
export interface CheckedTransportOptions extends Omit<TransportOptions, 'agent'> {
  agent?: unknown;
}

/** What `createNodeClient` checks itself (core checks its own options in `createClient`). */
export interface CheckedNodeOptions extends CheckedTransportOptions {
  url: string;
  checkpoint?: unknown;
  keepProcessAlive?: unknown;
  flowControl?: unknown;
}

/** The keys of `flowControl` (FlowControlOptions). */
const FLOW_CONTROL_KEYS = ['pausedKeepaliveMs', 'maxBufferedMessages'] as const;

/**
 * `flowControl` is an object of known keys: `null` crashed on a property read, a string was
 * read as no options, and a mistyped key (`pausedKeepAliveMs`) silently kept the default.
 * Its values are checked by SocketFlow.
 */
function checkFlowControl(flowControl: unknown): void {
  if (flowControl === undefined) return;
  if (typeof flowControl !== 'object' || flowControl === null || Array.isArray(flowControl)) {
    const got = flowControl === null ? 'null' : Array.isArray(flowControl) ? 'an array' : `${typeof flowControl} ${showValue(flowControl)}`;
    throw bad(`flowControl must be an object { pausedKeepaliveMs?, maxBufferedMessages? } (got ${got})`);
  }
  checkKnownKeys(flowControl, FLOW_CONTROL_KEYS, 'flowControl');
}

/**
 * Throws `BAD_OPTION` for a transport option that `ws` or Node would refuse on every
 * connection attempt (each attempt failing with CONNECTION_REFUSED, retried for ever)
 * or take silently with another meaning (`maxPayload` NaN or ≥ 2^31 = no limit; TLS
 * options on a `ws://` URL = plaintext). Header functions are called per attempt
 * and so are checked then, by Node.
 */
export function checkNodeOptions(options: CheckedNodeOptions): void {
  checkTransportOptions(options.url, options);
  if (options.keepProcessAlive !== undefined && typeof options.keepProcessAlive !== 'boolean') {
    throw bad(`keepProcessAlive must be a boolean (got ${showValue(options.keepProcessAlive)})`);
  }
  checkFlowControl(options.flowControl);
  const store = options.checkpoint as { load?: unknown; save?: unknown } | null | undefined;
  if (store != null && (typeof store.load !== 'function' || typeof store.save !== 'function')) {
    throw bad('checkpoint must be a CheckpointStore ({ load(channel), save(channel, position) }) or null');
  }
}

/**
 * The url and transport rules of {@link checkNodeOptions}. createNodeClient also runs them
 * at each connection attempt, on the url core connects to: these options are read per
 * attempt, and a value assigned after creation (a `ws://` url with `tls` set) must be
 * refused as it would have been at creation, not used.
 */
export function checkTransportOptions(url: unknown, options: CheckedTransportOptions): void {
  const shown = typeof url === 'string' ? JSON.stringify(url) : String(url);
  let protocol: string;
  try {
    protocol = new URL(url as string).protocol;
  } catch {
    throw bad(`url ${shown} is not a URL`);
  }
  // `ws` accepts http(s) for ws(s).
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(protocol)) {
    throw bad(`url ${shown}: use ws:// or wss://`);
  }
  const secure = protocol === 'wss:' || protocol === 'https:';

  checkDelay('handshakeTimeoutMs', options.handshakeTimeoutMs);
  checkCount('maxPayloadBytes', options.maxPayloadBytes, MAX_TIMER_MS); // ws keeps it as an int32
  const deflate = options.perMessageDeflate;
  if (deflate !== undefined && typeof deflate !== 'boolean' && (typeof deflate !== 'object' || deflate === null)) {
    throw bad(`perMessageDeflate must be a boolean or ws's PerMessageDeflateOptions (got ${showValue(deflate)})`);
  }
  checkHeaders(options.headers);

  const { agent, tls } = options;
  if (agent !== undefined && agent !== null && typeof agent !== 'string') {
    if (typeof agent !== 'object' || typeof (agent as { addRequest?: unknown }).addRequest !== 'function') {
      throw bad(`agent must be an http.Agent/https.Agent or the hello agent text (got ${showValue(agent)})`);
    }
    // Node's own check (ClientRequest): an Agent that states its protocol serves only it.
    const agentProtocol = statedProtocol(agent);
    const wanted = secure ? 'https:' : 'http:';
    if (typeof agentProtocol === 'string' && agentProtocol !== wanted) {
      throw bad(`agent is for ${agentProtocol} but the url needs ${wanted} (${secure ? 'https.Agent' : 'http.Agent'})`);
    }
  }
  if (tls !== undefined) {
    if (typeof tls !== 'object' || tls === null) throw bad(`tls must be an object of TLS options (got ${showValue(tls)})`);
    if (!secure) throw bad('tls options are set but the url is ws:// (plaintext): use wss:// or drop tls');
    // A mistyped key (`rejectUnauthorised`, `serverName`) was passed to tls.connect, which
    // ignores it: the default (verify against the public CAs, SNI from the URL) stayed on.
    checkKnownKeys(tls, TLS_OPTION_KEYS, 'tls');
  }
}

/**
 * The agent's `protocol` when it is a plain value (own or inherited data property), else
 * undefined. agent-base's agents (https-proxy-agent, socks-proxy-agent, proxy-agent,
 * pac-proxy-agent) define it as a getter that reads the call stack: 'https:' only when
 * called from inside Node's https module, so read from here it says 'http:' for an agent
 * Node accepts for https. Such a computed protocol is left to Node, per request.
 */
function statedProtocol(agent: object): unknown {
  for (let o: object | null = agent; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, 'protocol');
    if (descriptor) return 'value' in descriptor ? descriptor.value : undefined;
  }
  return undefined;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Node's rules for request headers; throws `BAD_OPTION` naming the header. `fromFunction`:
 * the value is what a `headers` function returned (for the message).
 */
export function checkHeaders(headers: unknown, fromFunction = false): void {
  if (headers === undefined || (!fromFunction && typeof headers === 'function')) return;
  if (isThenable(headers)) {
    // Object.entries(promise) is []: the upgrade would go out without the header, silently.
    // A rejected promise must not become an unhandled rejection on top of this error.
    Promise.resolve(headers).catch(() => {});
    throw bad(
      fromFunction
        ? 'the headers function returned a Promise: return the headers synchronously (fetch a rotated credential beforehand and return the cached value)'
        : 'headers is a Promise: pass the headers object, or a function returning it synchronously',
    );
  }
  if (typeof headers !== 'object' || headers === null) {
    throw bad(`headers must be an object or a function returning one (got ${showValue(headers)})`);
  }
  // A Map, a fetch Headers or an array of pairs has no own enumerable entries by name:
  // taken as a record it would send no header at all.
  if (typeof (headers as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
    throw bad('headers must be a plain object of name → value (got a Map, Headers or array: use Object.fromEntries())');
  }
  for (const [name, value] of Object.entries(headers)) {
    try {
      // Node's rules for request headers, checked now rather than on every attempt.
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (cause) {
      throw new LifelineNodeError('BAD_OPTION', `header ${JSON.stringify(name)} is invalid: ${(cause as Error).message}`, { cause });
    }
  }
}
