// The Redis broker's status (outage begins / ends) as a unit, on a fake clock, and which
// failed writes are "maybe stored". No Redis needed.
import { describe, expect, it } from 'vitest';
import { RedisAvailability, STALL_PROBE_MS, type Role } from '../src/broker/redisAvailability';
import { BrokerUnavailableError, maybeStored, toBrokerError } from '../src/broker/redisErrors';
import type { BrokerStatusChange } from '../src/broker/types';
import { fakeClock } from './redisTestUtils';

function replyError(message: string): Error {
  const e = new Error(message);
  e.name = 'ReplyError';
  return e;
}
const timeout = () => toBrokerError(new Error('Command timed out'), 'publish', true);

function harness() {
  const clock = fakeClock();
  const pings: Role[] = [];
  let answer: () => Promise<unknown> = () => Promise.resolve('PONG');
  const errors: Error[] = [];
  const a = new RedisAvailability({ clock, ping: (role) => (pings.push(role), answer()), onError: (e) => errors.push(e) });
  const changes: BrokerStatusChange[] = [];
  a.on((c) => changes.push(c));
  return { a, clock, pings, changes, errors, answerWith: (fn: () => Promise<unknown>) => void (answer = fn) };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('RedisAvailability', () => {
  it('is edge-triggered: many failures and both connections lost make one change down, the last cause clearing one change up', () => {
    const { a, clock, changes } = harness();
    a.connectionLost('cmd', 'connect ECONNREFUSED 10.0.0.5:6379');
    a.connectionLost('cmd', 'connect ECONNREFUSED 10.0.0.5:6379'); // every reconnect attempt
    a.connectionLost('sub', 'connect ECONNREFUSED 10.0.0.5:6379');
    for (let i = 0; i < 50; i++) a.failed('cmd', 'publish', new BrokerUnavailableError('redis broker: Redis not reachable within 1000 ms (reconnecting)'));
    expect(changes).toEqual([{ available: false, reason: 'redis broker: commands connection lost: connect ECONNREFUSED 10.0.0.5:6379' }]);
    clock.advance(1500);
    a.connectionReady('cmd');
    expect(changes).toHaveLength(1); // the pub/sub connection is still down
    clock.advance(500);
    a.connectionReady('sub');
    expect(changes).toEqual([changes[0], { available: true, downMs: 2000 }]);
  });

  it('a stall is ended by the probe PING on the stalled connection, every STALL_PROBE_MS until one is answered', async () => {
    const { a, clock, pings, changes, answerWith } = harness();
    a.failed('cmd', 'publish', timeout());
    a.failed('cmd', 'read', timeout());
    expect(changes).toEqual([{ available: false, reason: expect.stringMatching(/^redis broker: publish failed: Command timed out/) }]);
    answerWith(() => Promise.reject(new Error('Command timed out')));
    clock.advance(STALL_PROBE_MS);
    await flush();
    expect(pings).toEqual(['cmd']);
    expect(changes).toHaveLength(1);
    answerWith(() => Promise.resolve('PONG'));
    clock.advance(STALL_PROBE_MS - 1);
    await flush();
    expect(pings).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(pings).toEqual(['cmd', 'cmd']);
    expect(changes[1]).toEqual({ available: true, downMs: 2 * STALL_PROBE_MS });
    expect(clock.pending()).toBe(0); // no probe once it answered
  });

  it('an "unavailable" reply (OOM) ends only when that operation succeeds: reads succeeding meanwhile do not make it flap', () => {
    const { a, changes, clock } = harness();
    const oom = toBrokerError(replyError('OOM command not allowed when used memory > \'maxmemory\'.'), 'publish', true);
    expect(maybeStored(oom)).toBe(false); // Redis refused it: not applied
    for (let i = 0; i < 5; i++) {
      a.failed('cmd', 'publish', oom);
      a.answered('cmd', 'read');
      a.answered('cmd');
    }
    expect(changes).toEqual([{ available: false, reason: expect.stringMatching(/^redis broker: publish failed: OOM/) }]);
    expect(clock.pending()).toBe(0); // Redis answers: nothing to probe
    a.answered('cmd', 'publish');
    expect(changes).toEqual([changes[0], { available: true, downMs: 0 }]);
  });

  it('an outage is counted from the send time of the first unanswered call, not from its timeout, and never from before the last one ended', async () => {
    const { a, clock, changes } = harness();
    clock.advance(60_000);
    const t0 = clock.now();
    clock.advance(5000); // a publish sent at t0 times out (commandTimeoutMs 5 s)
    a.failed('cmd', 'publish', timeout(), t0);
    clock.advance(3000);
    a.failed('cmd', 'read', timeout(), t0 - 1000); // sent earlier, a longer wait: the stall began then
    clock.advance(1000);
    a.answered('cmd', 'ping');
    expect(changes).toEqual([{ available: false, reason: expect.stringMatching(/^redis broker: publish failed/) }, { available: true, downMs: 10_000 }]);
    // A call sent during that outage and failing after it ended says nothing of before its end.
    const upAt = clock.now();
    clock.advance(2000);
    a.failed('cmd', 'publish', timeout(), upAt - 4000);
    clock.advance(500);
    a.answered('cmd', 'publish');
    expect(changes[3]).toEqual({ available: true, downMs: 2500 });
    a.stop();
  });

  it('a refused configuration comes first, is reported once whatever the retries and connections, and ends only with a connection ready', () => {
    const { a, changes } = harness();
    const reports: string[] = [];
    const refusal = 'redis broker: Redis refused the credentials in the broker URL (redis://:***@10.0.0.5:6379); check user/password: WRONGPASS';
    a.connectionLost('cmd', 'closed; reconnecting');
    for (let i = 0; i < 5; i++) {
      for (const role of ['cmd', 'sub'] as const) {
        a.misconfigured(role, refusal, () => reports.push(role));
        a.connectionLost(role, 'closed; reconnecting');
      }
    }
    expect(reports).toEqual(['cmd']);
    expect(changes).toEqual([{ available: false, reason: 'redis broker: commands connection lost: closed; reconnecting' }]);
    a.connectionReady('cmd');
    expect(changes).toHaveLength(1); // the pub/sub connection is still refused
    a.connectionReady('sub');
    expect(changes[1]).toMatchObject({ available: true });
    a.misconfigured('sub', refusal, () => reports.push('again'));
    expect(changes[2]).toEqual({ available: false, reason: refusal });
    expect(reports).toEqual(['cmd', 'again']); // a new outage: said again
  });

  it('a listener added during an outage hears of it at once; one that throws goes to onError; stop() leaves no timer and says nothing more', () => {
    const { a, clock, errors } = harness();
    a.failed('sub', 'subscribe', toBrokerError(new Error('Command timed out'), 'subscribe'));
    const late: BrokerStatusChange[] = [];
    const off = a.on((c) => late.push(c));
    expect(late).toEqual([{ available: false, reason: 'redis broker: subscribe failed: Command timed out' }]);
    off();
    a.on(() => {
      throw new Error('listener bug');
    });
    expect(errors.map((e) => e.message)).toEqual(['listener bug']);
    expect(clock.pending()).toBe(1);
    a.stop();
    expect(clock.pending()).toBe(0);
    a.connectionLost('cmd', 'closed; reconnecting');
    expect(late).toHaveLength(1);
  });
});

describe('toBrokerError: which failed writes may have been stored', () => {
  it('sent and unanswered (timeout, connection dropped in flight) may be; not sent, refused, or a read is not', () => {
    expect(maybeStored(toBrokerError(new Error('Command timed out'), 'publish', true))).toBe(true);
    expect(maybeStored(toBrokerError(new Error('Connection is closed.'), 'publish', true))).toBe(true);
    expect(toBrokerError(new Error('Command timed out'), 'publish', true).message).toBe('redis broker: publish failed: Command timed out (it may have been applied)');
    expect(maybeStored(toBrokerError(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'publish', true))).toBe(false);
    expect(maybeStored(toBrokerError(replyError('READONLY You can\'t write against a read only replica.'), 'publish', true))).toBe(false);
    expect(maybeStored(toBrokerError(new Error('Command timed out'), 'read'))).toBe(false);
    expect(maybeStored(new BrokerUnavailableError('redis broker: Redis not reachable within 1000 ms (reconnecting)'))).toBe(false);
    // Another broker's outage error without the flag keeps the old promise: nothing stored.
    expect(maybeStored({ code: 'BROKER_UNAVAILABLE', message: 'down' })).toBe(false);
    expect(maybeStored({ code: 'BROKER_UNAVAILABLE', message: 'down', maybeStored: true })).toBe(true);
  });
});
