/**
 * A `clientId` or publish `id` the protocol accepts: 1-128 UTF-16 units, no lone
 * surrogate (brokers store ids as UTF-8, where two such ids would become one; the server
 * refuses them with BAD_FIELD). encodeURIComponent is the shortest well-formedness test
 * every engine has: it throws on a lone surrogate.
 */
export function isWireId(id: unknown): id is string {
  try {
    return typeof id === 'string' && !!id && id.length <= 128 && !!encodeURIComponent(id);
  } catch {
    return false;
  }
}
