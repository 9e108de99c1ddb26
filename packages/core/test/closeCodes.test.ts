import { describe, expect, it } from 'vitest';
import { CloseCode, closeAction, parseRetryAfterMs } from '../src/protocol';

describe('closeAction', () => {
  it('stops on a normal close and on the 4000 range', () => {
    expect(closeAction(CloseCode.NORMAL)).toBe('stop');
    expect(closeAction(CloseCode.UNSUPPORTED_VERSION)).toBe('stop');
    expect(closeAction(4099)).toBe('stop');
  });
  it('refreshes the token on the 4100 range', () => {
    expect(closeAction(CloseCode.BAD_TOKEN)).toBe('refresh-token');
    expect(closeAction(CloseCode.TOKEN_EXPIRED)).toBe('refresh-token');
  });
  it('retries on network, server and 4200-range closes', () => {
    for (const code of [1001, 1006, 1009, 1011, 1012, 1013, 4200, 4202, 4999]) {
      expect(closeAction(code)).toBe('retry');
    }
  });
  it('parses the retry-after hint of a 1013 reason', () => {
    expect(parseRetryAfterMs('overloaded; retry-after-ms=1250')).toBe(1250);
    expect(parseRetryAfterMs('overloaded')).toBeUndefined();
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
  });
});
