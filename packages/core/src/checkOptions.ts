import { LifelineError } from './errors';

// The values each string option takes, by option name: a typo such as 'decorelated' ran
// as the default.
const CHOICES: Record<string, string[]> = {
  jitter: ['full', 'equal', 'decorrelated', 'none'],
  overflow: ['reject', 'drop-oldest', 'drop-newest'],
  onClose: ['flush', 'fail'],
};

/**
 * Throws BAD_ARGUMENT for a key of `o` (enumerable, own or inherited) not in `known`,
 * naming it and the known ones: a mistyped option (`reconnect: { maxDelay }`,
 * `outbox: { ttl }`, `autoconnect: false`) was ignored, its default kept (publishes that
 * never expired, a client that connected at once). Given as `undefined` too: the key is
 * still wrong.
 */
function checkKeys(o: object, known: string[]): void {
  for (const k in o) if (!known.includes(k)) throw new LifelineError('BAD_ARGUMENT', `option ${k}: unknown (${known.join(' | ')})`);
}

/**
 * An option group with its defaults (the shared defaults object itself when the caller
 * set nothing); an option given as `undefined` takes its default. Throws BAD_ARGUMENT for
 * a key the group does not have, an option whose type differs from its default's, a
 * number that is NaN or negative, a zero other than `maxAttempts`, `maxMessages`,
 * `maxBytes` or `closeTimeoutMs`,
 * a `factor` below 1, or a jitter, overflow or onClose value it does not know: a NaN or 0
 * delay retried in a tight loop (a fleet doing that stampedes the server), a 0 TTL expired
 * every publish before it could be sent.
 */
export function withDefaults<T extends Record<string, unknown>>(defaults: T, given: Partial<T> | undefined): T {
  const o: Record<string, unknown> = given ? { ...defaults, ...given } : defaults;
  checkKeys(o, Object.keys(defaults));
  for (const k in defaults) {
    // An option given as undefined (`maxAttempts: cfg.retries`) is one not given: it threw
    // BAD_ARGUMENT, and the types allow it. (`heartbeat.timeoutMs` keeps its meaning: the
    // client reads that one from the options as given.)
    const v = o[k] === undefined ? (o[k] = defaults[k]) : o[k];
    if (
      typeof v !== typeof defaults[k] ||
      // 0 only where it means "none" (no retry, no queue, no wait at close): a 0 delay cap,
      // timeout or threshold made a loop (every retry at once, every connection dead at its
      // first check).
      (typeof v === 'number' && (!(v >= +(k == 'factor')) || (!v && !/^(maxA|maxM|maxB|cl)/.test(k)))) ||
      (typeof v === 'string' && !CHOICES[k]!.includes(v))
    ) {
      // The choices said: 'option jitter: decorelated' left the user guessing the spelling.
      throw new LifelineError('BAD_ARGUMENT', `option ${k}: ${String(v)}${CHOICES[k] ? ` (${CHOICES[k]!.join(' | ')})` : ''}`);
    }
  }
  return o as T;
}

// What each top-level option may be (its typeof): a wrong one failed later, far from its
// cause (`logger: 5` as a TypeError at the first log line, `token: 123` as a loop of
// TOKEN_ERROR) or was taken silently (`heartbeat: 'x'`, `autoConnect: 'no'`). `url` may
// be a URL (WebSocket constructors take one).
const TYPES = 'url string object,token string function,reconnect object,heartbeat object,outbox object,WebSocket function,clock object,random function,logger object,autoConnect boolean false,lifecycle object false,handshakeTimeoutMs number,agent string';

/**
 * Throws BAD_ARGUMENT for options that are not an object, a key createClient does not
 * know (`clientId` is checked by the client itself), or an option of the wrong type.
 */
export function checkTypes(o: unknown): void {
  if (!o || typeof o != 'object') throw new LifelineError('BAD_ARGUMENT', 'options: not an object');
  const rows = TYPES.split(',').map((s) => s.split(' '));
  checkKeys(o, rows.map((r) => r[0]!).concat('clientId'));
  for (const [k, ...t] of rows) {
    const v = (o as Record<string, unknown>)[k!];
    // `false` apart: `lifecycle: false` turns it off, `lifecycle: true` meant nothing.
    if (v != null && !t.includes(v === false ? 'false' : typeof v)) throw new LifelineError('BAD_ARGUMENT', `option ${k}: a ${typeof v}, not ${t.join(' or ')}`);
    // A handshake timeout of 0 or NaN timed every attempt out: a silent loop.
    if (typeof v == 'number' && !(v > 0)) throw new LifelineError('BAD_ARGUMENT', `option ${k}: ${v}`);
  }
}
