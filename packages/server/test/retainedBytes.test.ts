// The memory broker's node-wide bounds (maxRetainedBytes, maxIdleChannels): one token
// publishing 60 KB messages to a new channel each time grew the heap until the process
// died (~63 MB/s, a 512 MB heap gone in 5 s). Losses they cause are retention losses a
// later subscriber is told about (out-of-retention, epoch-changed), never a refused publish.
import { describe, expect, it } from 'vitest';
import { memoryBroker } from '../src/broker/memoryBroker';
import { defaultMaxRetainedBytes, MESSAGE_OVERHEAD_BYTES } from '../src/broker/retainedBudget';
import { parseCliArgs, USAGE } from '../src/cliArgs';
import { useServer } from './helpers/serverFixture';
import { getHeapStatistics } from 'node:v8';

const fixture = useServer();
const PAYLOAD = 'q'.repeat(10_000);

describe('memory broker: maxRetainedBytes', () => {
  it('trims the oldest messages across channels past the bound, acks every publish, and tells later subscribers out-of-retention', async () => {
    const broker = memoryBroker({ maxRetainedBytes: 50_000 });
    await fixture.start({ broker, ownsBroker: true });
    const pub = await fixture.connect({ clientId: 'pub' });
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await pub.publish(`room:${i}`, PAYLOAD, `m${i}`));
    // Never refused: every publish is acknowledged.
    expect(acks.every((a) => a.type === 'ack' && a.offset === 1)).toBe(true);
    const stats = broker.retainedStats();
    expect(stats.bytes).toBeLessThanOrEqual(50_000);
    expect(stats.messages).toBe(4); // ~10 KB each: the newest four fit
    expect(stats.trimmedMessages).toBe(16);

    const late = await fixture.connect({ clientId: 'late' });
    const epoch = acks[0]!.epoch as string;
    // The oldest channel's message was trimmed: a gap, said as such.
    expect(await late.subscribe('room:0', { offset: 0, epoch })).toMatchObject({ type: 'subscribed', offset: 1, recovered: false, reason: 'out-of-retention' });
    // The newest is still retained and replayed.
    expect(await late.subscribe('room:19', { offset: 0, epoch })).toMatchObject({ type: 'subscribed', offset: 1, recovered: true, replay: 1 });
    await late.next('msg', (f) => f.channel === 'room:19');
  });

  it('keeps retained bytes and counts exact through per-channel retention, trimming and reset', async () => {
    const broker = memoryBroker({ retention: 3, maxRetainedBytes: 5000 });
    const sizes = new Map<string, number[]>();
    for (let i = 0; i < 200; i++) {
      const channel = `c${i % 7}`;
      await broker.publish(channel, 'x'.repeat((i * 37) % 900), `id${i}`);
    }
    let messages = 0;
    for (let c = 0; c < 7; c++) {
      const r = await broker.read(`c${c}`, 0, 100);
      messages += r.messages.length;
      sizes.set(`c${c}`, r.messages.map((m) => JSON.stringify(m.data).length + m.id!.length + m.channel.length + MESSAGE_OVERHEAD_BYTES));
      expect(r.messages.length).toBeLessThanOrEqual(3);
    }
    const bytes = [...sizes.values()].flat().reduce((a, b) => a + b, 0);
    expect(broker.retainedStats()).toMatchObject({ bytes, messages });
    expect(bytes).toBeLessThanOrEqual(5000);
    await broker.reset();
    expect(broker.retainedStats()).toMatchObject({ bytes: 0, messages: 0 });
  });

  it('defaults to a quarter of the heap limit, at most 256 MiB, and refuses a bound that is not a count', () => {
    expect(defaultMaxRetainedBytes()).toBe(Math.min(256 * 1024 * 1024, Math.floor(getHeapStatistics().heap_size_limit / 4)));
    expect(() => memoryBroker({ maxRetainedBytes: 0 })).toThrow(RangeError);
    expect(() => memoryBroker({ maxRetainedBytes: Number.NaN })).toThrow(/maxRetainedBytes/);
    expect(() => memoryBroker({ maxIdleChannels: 1.5 })).toThrow(/maxIdleChannels/);
    expect(() => memoryBroker({ maxRetainedBytes: Infinity, maxIdleChannels: Infinity })).not.toThrow();
  });

  it('refuses data JSON cannot carry before storing anything', async () => {
    const broker = memoryBroker();
    await expect(broker.publish('c', { n: 1n })).rejects.toThrow(TypeError);
    expect((await broker.position('c')).offset).toBe(0);
  });
});

describe('memory broker: maxIdleChannels', () => {
  it('forgets the least recently used channel held for its log alone; a subscriber there is told epoch-changed', async () => {
    const broker = memoryBroker({ maxIdleChannels: 2 });
    await fixture.start({ broker, ownsBroker: true });
    const watcher = await fixture.connect({ clientId: 'watcher' });
    await watcher.subscribe('watched');
    const pub = await fixture.connect({ clientId: 'pub' });
    const first = await pub.publish('a', 1, 'a1');
    await pub.publish('watched', 1, 'w1');
    await pub.publish('b', 1, 'b1');
    await pub.publish('c', 1, 'c1'); // 'a' is the least recently used idle channel
    expect(broker.retainedStats()).toMatchObject({ idleChannels: 2, forgottenChannels: 1 });
    expect(broker.channelCount()).toBe(3); // watched, b, c

    const late = await fixture.connect({ clientId: 'late' });
    const reply = await late.subscribe('a', { offset: 1, epoch: first.epoch as string });
    expect(reply).toMatchObject({ type: 'subscribed', offset: 0, recovered: false, reason: 'epoch-changed' });
    expect(reply.epoch).not.toBe(first.epoch);
    // A channel someone subscribes to is never forgotten.
    expect(await late.subscribe('watched', { offset: 0, epoch: first.epoch as string })).toMatchObject({ recovered: true, replay: 1 });
  });
});

describe('CLI: --max-retained-bytes', () => {
  it('is parsed as a count, documented in --help, and said to do nothing on Redis', () => {
    expect(parseCliArgs(['--max-retained-bytes', '1048576']).maxRetainedBytes).toBe(1_048_576);
    expect(parseCliArgs([]).maxRetainedBytes).toBeUndefined();
    expect(() => parseCliArgs(['--max-retained-bytes', '0'])).toThrow(/--max-retained-bytes/);
    expect(USAGE).toContain('--max-retained-bytes');
    expect(parseCliArgs(['--broker', 'redis://h', '--max-retained-bytes', '5']).warnings.join('\n')).toMatch(/--max-retained-bytes has no effect/);
  });
});
