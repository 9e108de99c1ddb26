import type { ClientOptions } from '@lifeline/core';
import type { ConsumeOptions, RetryPolicy } from './consume';
import type { DrainOptions } from './drain';
import type { FileCheckpointOptions } from './checkpoint/fileCheckpoint';
import type { NodeClientOptions } from './createNodeClient';
import { LifelineNodeError } from './errors';
import type { MessagesOptions } from './messagesOptions';
import type { TlsOptions } from './nodeSocket';

/**
 * Core's `ClientOptions` keys (packages/core/src/types.ts, interface ClientOptions), passed
 * through by `createNodeClient`. The `satisfies` makes tsc (the package's typecheck and its
 * d.ts build) fail when core gains a key this list lacks; test/optionKeys.test.ts checks the
 * same against core's source at run time.
 */
export const CORE_CLIENT_OPTION_KEYS = {
  url: true,
  token: true,
  reconnect: true,
  heartbeat: true,
  outbox: true,
  clientId: true,
  // Known so that it gets its own refusal (the adapter supplies ws), not "unknown option".
  WebSocket: true,
  clock: true,
  random: true,
  logger: true,
  autoConnect: true,
  handshakeTimeoutMs: true,
  lifecycle: true,
  agent: true,
} as const satisfies Record<keyof ClientOptions, true>;

/** The Node adapter's own options (NodeClientOptions beyond core's). */
const NODE_CLIENT_OPTION_KEYS = {
  headers: true,
  tls: true,
  perMessageDeflate: true,
  maxPayloadBytes: true,
  checkpoint: true,
  keepProcessAlive: true,
  flowControl: true,
} as const satisfies Record<Exclude<keyof NodeClientOptions, keyof ClientOptions>, true>;

/** Every key `createNodeClient` accepts (`WebSocket` included, to be refused by name). */
export const NODE_OPTION_KEYS: readonly string[] = Object.keys({ ...CORE_CLIENT_OPTION_KEYS, ...NODE_CLIENT_OPTION_KEYS });

const MESSAGES_KEYS = {
  signal: true,
  highWaterMark: true,
  lowWaterMark: true,
  autoAck: true,
  maxUncommitted: true,
  onGap: true,
} as const satisfies Record<keyof MessagesOptions, true>;

/** The keys of `messages()` options (MessagesOptions). */
export const MESSAGES_OPTION_KEYS: readonly string[] = Object.keys(MESSAGES_KEYS);

/** The keys of `consume()` options (ConsumeOptions: messages() options but `autoAck`, plus the error policy). */
export const CONSUME_OPTION_KEYS: readonly string[] = Object.keys({
  signal: true,
  highWaterMark: true,
  lowWaterMark: true,
  maxUncommitted: true,
  onGap: true,
  onError: true,
  deadLetter: true,
  onRetry: true,
} as const satisfies Record<keyof ConsumeOptions<unknown>, true>);

/** The keys of `drain()` options (DrainOptions). */
export const DRAIN_OPTION_KEYS: readonly string[] = Object.keys({
  timeoutMs: true,
  code: true,
  reason: true,
} as const satisfies Record<keyof DrainOptions, true>);

/** The keys of `fileCheckpoint()` options (FileCheckpointOptions). */
export const FILE_CHECKPOINT_OPTION_KEYS: readonly string[] = Object.keys({
  fsync: true,
  lock: true,
} as const satisfies Record<keyof FileCheckpointOptions, true>);

/** The keys of a `'retry'` error policy (RetryPolicy); `'dead-letter'` and `'stop'` take `policy` only. */
export const RETRY_POLICY_KEYS: readonly string[] = Object.keys({
  policy: true,
  maxAttempts: true,
  initialDelayMs: true,
  maxDelayMs: true,
  factor: true,
  onExhausted: true,
} as const satisfies Record<keyof RetryPolicy, true>);

/**
 * The keys of `tls`: the typed ones (TlsOptions) plus the other security options of Node's
 * `tls.connect` (ConnectionOptions, CommonConnectionOptions, SecureContextOptions), which the
 * adapter passes through to `ws` as they are and which JavaScript callers may already use.
 * Connection-level keys (`host`, `port`, `path`, `socket`, `lookup`, `timeout`) are not TLS
 * options here: `ws` derives them from the URL.
 */
export const TLS_OPTION_KEYS: readonly string[] = Object.keys({
  ...({
    ca: true,
    cert: true,
    key: true,
    pfx: true,
    passphrase: true,
    rejectUnauthorized: true,
    servername: true,
    ciphers: true,
    minVersion: true,
    maxVersion: true,
  } as const satisfies Record<keyof TlsOptions, true>),
  checkServerIdentity: true,
  session: true,
  minDHSize: true,
  pskCallback: true,
  secureContext: true,
  enableTrace: true,
  requestCert: true,
  ALPNProtocols: true,
  SNICallback: true,
  ALPNCallback: true,
  allowPartialTrustChain: true,
  sigalgs: true,
  clientCertEngine: true,
  crl: true,
  dhparam: true,
  ecdhCurve: true,
  honorCipherOrder: true,
  privateKeyEngine: true,
  privateKeyIdentifier: true,
  secureOptions: true,
  secureProtocol: true,
  sessionIdContext: true,
  ticketKeys: true,
  sessionTimeout: true,
});

/** Suggests `known` for `key` when the case differs or at most 2 edits (insert, delete, replace, swap) apart. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps: `reconenct` is 1 from `reconnect`). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j += 1) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * Throws `BAD_OPTION` for an own key of `options` not in `known`, naming it and the closest
 * known key: a mistyped option (`checkpoints`, `highwatermark`) was ignored without a word,
 * silently keeping the default. `of`: what the options are of, for the message.
 */
export function checkKnownKeys(options: object, known: readonly string[], of: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const like = closestKey(key, known);
    throw new LifelineNodeError(
      'BAD_OPTION',
      `${of} has no option ${JSON.stringify(key)}${like ? ` (did you mean ${like}?)` : ''}; its options: ${known.join(', ')}`,
      { details: { key, ...(like ? { suggestion: like } : {}) } },
    );
  }
}
