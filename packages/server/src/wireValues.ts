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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when `s` is well-formed Unicode. Ids and client ids become Redis keys and
 * fields (UTF-8), where every lone surrogate turns into U+FFFD: two different ids
 * would become one, and the second publish would be acked as a duplicate, never stored.
 */
export const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);
