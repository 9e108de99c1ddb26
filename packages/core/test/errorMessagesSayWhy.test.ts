// Errors that say what went wrong and what to do (a socket.io migrator's trial): every
// token refusal read `token rejected (4100): call setToken()` whatever the server said
// (missing, bad signature), a wrong path only `upgrade refused: http 404`, and a refused
// channel name never said what a name may hold.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src/index';
import { setup } from './support/harness';

describe('error messages say why', () => {
  it('AUTH_FAILED carries the server\'s close reason', () => {
    const h = setup({ token: 't1' });
    h.sock.serverClose(4100, 'bad token signature');
    const e = h.errors.find((x) => x.code === 'AUTH_FAILED');
    expect(e?.message).toBe('token rejected (4100 bad token signature): call setToken()');
  });

  it('an upgrade refused 404 names the endpoint path; other statuses are said as they are', () => {
    const a = setup();
    a.sock.refuse(404, {});
    expect(a.client.getSnapshot().lastError?.message).toBe('upgrade refused: http 404 (not the /v1 path?)');
    const b = setup();
    b.sock.refuse(403, {});
    expect(b.client.getSnapshot().lastError?.message).toBe('upgrade refused: http 403');
  });

  it('a refused channel name says what a name may hold, and a long one is cut', () => {
    const h = setup();
    let message = '';
    try {
      h.client.channel('x'.repeat(500) + '#');
    } catch (e) {
      expect(isLifelineError(e, 'BAD_ARGUMENT')).toBe(true);
      message = (e as Error).message;
    }
    expect(message).toBe(`invalid channel name "${'x'.repeat(59)}: 1-200 of A-Za-z0-9_-:.@/=+`);
  });
});
