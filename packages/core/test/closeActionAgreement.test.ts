// The client tests closeAction()'s predicates itself (no action strings in the browser
// bundle); this keeps what it does in agreement with closeAction() for every class of code.
import { describe, expect, it } from 'vitest';
import { closeAction, parseRetryAfterMs } from '../src/protocol';
import { flushPromises, setup } from './support/harness';

/** What the client did after the server closed a welcomed socket with `code`. */
async function reaction(code: number): Promise<string> {
  const reasons: string[] = [];
  const h = setup({ token: async (ctx) => (reasons.push(ctx.reason), 't'), reconnect: { jitter: 'none', initialDelayMs: 100 } });
  await flushPromises();
  h.accept();
  reasons.length = 0;
  h.sock.serverClose(code, 'bye');
  const snap = h.client.getSnapshot();
  if (snap.state === 'closed' && snap.retryInMs === null) return 'stop';
  h.clock.advance(60_000);
  await flushPromises();
  return reasons.some((r) => r === 'rejected' || r === 'expired') ? 'refresh-token' : 'retry';
}

describe('the client agrees with closeAction()', () => {
  const codes = [1000, 1001, 1006, 1011, 1012, 1013, 3000, 3999, 4000, 4001, 4050, 4099, 4100, 4101, 4150, 4199, 4200, 4500, 4999];
  for (const code of codes) {
    it(`close ${code}: ${closeAction(code)}`, async () => {
      expect(await reaction(code)).toBe(closeAction(code));
    });
  }

  it('waits the retry-after-ms hint of a 1013 reason, as parseRetryAfterMs reads it', () => {
    const reason = 'overloaded retry-after-ms=7000';
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 }, random: () => 0 });
    h.accept();
    h.sock.serverClose(1013, reason);
    // Spread by up to half the hint upwards; random() = 0 is the hint itself.
    expect(h.client.getSnapshot().retryInMs).toBe(parseRetryAfterMs(reason));
  });
});
