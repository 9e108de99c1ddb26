// A broker URL's database that is not a whole number is refused up front. ioredis read it
// with parseInt: `redis://h/abc` became SELECT NaN, re-sent before every command and
// refused by Redis, and the unawaited rejection crashed the server (the CLI exited 1 a
// moment after printing that it was listening); `/1.5` silently used database 1. No Redis needed.
import { describe, expect, it } from 'vitest';
import { redisBroker } from '../src/broker/redisBroker';
import { redisDbProblem } from '../src/broker/redisUrl';

describe('redisDbProblem', () => {
  it.each(['redis://h', 'redis://h/', 'redis://h:6379/0', 'rediss://u:p@h:6380/15', 'redis://h?db=3', 'not a url', 'http://h/abc'])('accepts %s', (url) => {
    expect(redisDbProblem(url)).toBeUndefined();
  });

  it.each([
    ['redis://h/abc', 'abc'], ['redis://h:6379/1.5', '1.5'], ['redis://h/2x', '2x'], ['redis://h/-1', '-1'],
    ['redis://h/2/', '2/'], ['REDIS://h/NaN', 'NaN'], ['redis://h?db=abc', 'abc'],
  ])('refuses %s, naming %s', (url, db) => {
    expect(redisDbProblem(url)).toContain(`names database "${db}"`);
  });
});

describe('redisBroker({ url }) with a database that is not a whole number', () => {
  it('throws a TypeError naming the option, with the password redacted, before connecting', () => {
    expect(() => redisBroker({ url: 'redis://:hunter2@127.0.0.1:1/abc', onError: () => undefined })).toThrow(
      new TypeError('redis broker: url names database "abc"; the database is a whole number after the host: redis://host:6379/2, got "redis://:***@127.0.0.1:1/abc"'),
    );
    expect(() => redisBroker({ url: 'redis://127.0.0.1:1/1.5', onError: () => undefined })).toThrow(TypeError);
  });

  it('accepts a whole-number database', async () => {
    const b = redisBroker({ url: 'redis://127.0.0.1:1/3', onError: () => undefined, reconnectDelayMs: () => 10_000 });
    await b.close();
  });
});
