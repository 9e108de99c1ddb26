// AUTH_FAILED carries the server's close reason; a close without one (a server or proxy
// that sends only the code) read `token rejected (4100 ): call setToken()` (found by a review).
import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

describe('AUTH_FAILED without a close reason', () => {
  it('says the code alone, with no trailing space', () => {
    const h = setup({ token: 't1' });
    h.sock.serverClose(4100, '');
    const e = h.errors.find((x) => x.code === 'AUTH_FAILED');
    expect(e?.message).toBe('token rejected (4100): call setToken()');
  });
});
