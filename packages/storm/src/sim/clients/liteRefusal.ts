import { closeAction } from '@lifeline/core/protocol';

/**
 * Why retrying after this close cannot help, under core's error codes (the run's notes and
 * the warm-up then read both clients alike); null for a close retried with backoff.
 * `httpStatus`: the status of a refused upgrade, else null. The close codes follow core's
 * own table (`closeAction` from `@lifeline/core/protocol`), so the two clients cannot drift
 * apart: a normal close (1000) is final, as 4000–4099 are (the lite client used to retry it).
 */
export function finalRefusal(code: number, reason: string, httpStatus: number | null, hasToken = false): { code: string; message: string } | null {
  // As core: a wrong path or a forbidding proxy answers a 4xx the same way each time;
  // 408 and 429 say "later".
  if (httpStatus !== null && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429) {
    return { code: 'CONNECTION_REFUSED', message: `upgrade refused: http ${httpStatus}` };
  }
  const action = closeAction(code);
  // Same code and message as core for a stop close.
  if (action === 'stop') return { code: 'CONNECTION_REFUSED', message: `server closed ${code} ${reason}` };
  // Core refreshes a token function's token; this client sends none or a static one (as
  // core with a static token), which is refused the same way for ever.
  if (action === 'refresh-token') {
    // 4100 with a token is that token refused (signature, secret): "cannot be renewed" only
    // fits an expiry (4101), where renewing is what would have helped.
    const why = !hasToken ? 'no token was given (--token)' : code === 4101 ? 'its token is static (--token) and cannot be renewed' : 'the server rejected the --token';
    return { code: 'AUTH_FAILED', message: `token ${code === 4101 ? 'expired' : 'rejected'} (${code}): ${why}` };
  }
  return null;
}

/**
 * The HTTP status of a refused upgrade from a socket error's message: `ws`, without an
 * `unexpected-response` listener, tells it only there. Null for any other error.
 */
export function httpStatusOf(message: string | undefined): number | null {
  const m = /^Unexpected server response: (\d+)/.exec(message ?? '');
  return m ? Number(m[1]) : null;
}
