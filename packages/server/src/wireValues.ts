/**
 * Checks on client-supplied values that JSON.parse accepts but the server could not
 * carry faithfully. Shared by the WebSocket frame check and the HTTP publish.
 */

/**
 * True when `value` can be written back as JSON. Node parses arrays nested thousands
 * deep that JSON.stringify cannot write (stack overflow): such a message was stored,
 * then every send and replay of it threw, failing the channel for every subscriber.
 */
export function encodable(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A configured number as the welcome carries it: a limit left unbounded (`Infinity`) is
 * written as 2^53-1, since JSON has no Infinity and JSON.stringify writes `null`, which the
 * reference client reads as a welcome to refuse (`heartbeatMs`) or a limit of 0
 * (`maxFrameBytes`: every publish MESSAGE_TOO_LARGE; `publishBurst`: no publish ever sent).
 */
export const wireNumber = (n: number): number => (Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `s` is well-formed Unicode. Ids and client ids become Redis keys and
 * fields (UTF-8), where every lone surrogate turns into U+FFFD: two different ids
 * would become one, and the second publish would be acked as a duplicate, never stored.
 */
export const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

// `fatal`: Buffer#toString('utf8') and a default TextDecoder replace each invalid
// sequence with U+FFFD, so a body of raw bytes was stored as something its sender never
// wrote (and distinct bytes became the same text). `ignoreBOM` keeps a leading BOM in
// the text, where JSON.parse refuses it, as it did before.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes` as text when they are valid UTF-8, else `undefined` (never a lossy decode). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
