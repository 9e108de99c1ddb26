// A password holding an unencoded `@` is accepted as a target (a URL parser ends the
// user:password part at the LAST `@` before the host), but redaction stopped at the first
// one, so the rest of the password was printed in notes, reports and errors (found by a
// review). The same for a Redis broker URL in its refusal.
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../src/proxy/address';
import { redactTarget, unusedTargetNote } from '../src/proxy/targetText';
import { resolveOptions } from '../src/sim/options';
import { StormError } from '../src/errors';

describe('a password with an `@` in it', () => {
  const target = 'ws://bob:s3cr@tPW@127.0.0.1:8080';

  it('is accepted as a target, so it reaches notes and settings', () => {
    expect(parseEndpoint(target)).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(resolveOptions({ scenario: 'blip', target }).target).toBe(target);
  });

  it('is hidden whole by redactTarget and the unused-target note; an `@` in a path is left alone', () => {
    expect(redactTarget(target)).toBe('ws://***@127.0.0.1:8080');
    expect(unusedTargetNote(target)).not.toContain('tPW');
    expect(redactTarget('ws://127.0.0.1:8080/a@b')).toBe('ws://127.0.0.1:8080/a@b');
  });

  it('is hidden whole in a refused Redis broker URL', () => {
    let message = '';
    try {
      resolveOptions({ scenario: 'blip', broker: 'redis://:s3cr@tPW@' });
    } catch (err) {
      expect(err).toBeInstanceOf(StormError);
      message = (err as Error).message;
    }
    expect(message).toContain('redis://***@');
    expect(message).not.toContain('tPW');
  });
});
