import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '@lifeline/core';
import { acquireChannel, channelKey } from '../src/channelLeases';
import { FakeClient } from './support/fakeClient';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Captures the single handler the lease registers on the channel. */
function captureFanOut(client: FakeClient, name: string) {
  const channel = client.channel(name);
  let fanOut!: (m: Message<unknown>) => void | Promise<void>;
  const original = channel.subscribe.bind(channel);
  channel.subscribe = (h) => {
    fanOut = h;
    return original(h);
  };
  return () => fanOut;
}

const msg = (offset: number): Message<unknown> => ({ type: 'msg', channel: 'room', offset, epoch: 'e', data: offset });

describe('channel leases', () => {
  it('channelKey identifies name + options by value', () => {
    expect(channelKey('a')).toBe('a');
    expect(channelKey('a', {})).toBe('a');
    expect(channelKey('a', { since: undefined })).toBe('a');
    expect(channelKey('a', { since: { offset: 1, epoch: 'e' } })).toBe(
      channelKey('a', { since: { offset: 1, epoch: 'e' } }),
    );
    expect(channelKey('a', { since: { offset: 1, epoch: 'e' } })).not.toBe(channelKey('a', { since: { offset: 2, epoch: 'e' } }));
  });

  it('runs every handler when one throws, then rethrows the first error to core', () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    const seen: string[] = [];
    acquireChannel(client, 'room', undefined, () => { throw new Error('first'); }, 100);
    acquireChannel(client, 'room', undefined, () => void seen.push('second'), 100);
    expect(() => fanOut()(msg(1))).toThrow('first');
    expect(seen).toEqual(['second']);
  });

  it('waits for every async handler before resolving', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    let finish!: () => void;
    acquireChannel(client, 'room', undefined, () => new Promise<void>((r) => (finish = r)), 100);
    acquireChannel(client, 'room', undefined, () => undefined, 100);
    let done = false;
    const result = fanOut()(msg(1));
    expect(result).toBeInstanceOf(Promise);
    void (result as Promise<void>).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    finish();
    await result;
    expect(done).toBe(true);
  });

  it('a release function is idempotent', () => {
    const client = new FakeClient();
    const releaseA = acquireChannel(client, 'room', undefined, () => {}, 100);
    acquireChannel(client, 'room', undefined, () => {}, 100);
    releaseA();
    releaseA();
    vi.advanceTimersByTime(1_000);
    expect(client.count('unsub')).toBe(0);
    expect(client.channel('room').handlerCount).toBe(1);
  });

  it('stops waiting for a released handler still on a message, and ignores how it ends', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    let fail!: (e: Error) => void;
    const release = acquireChannel(client, 'room', undefined, () => new Promise<void>((_, reject) => (fail = reject)), 100);
    acquireChannel(client, 'room', undefined, () => undefined, 100);
    const result = fanOut()(msg(1)) as Promise<void>;
    let settled = false;
    void result.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release(); // its component unmounted
    fail(new Error('aborted on unmount'));
    await expect(result).resolves.toBeUndefined(); // no HANDLER_ERROR for core
  });

  // A component's effect run again without an unmount (a new releaseDelayMs, StrictMode)
  // releases and takes back in one task: the call still counts. It let go of it before, so
  // a rejection then was ignored and that message never handed to the handler again.
  it('a release taken back within the task still awaits the call in progress and rethrows its rejection', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    let fail!: (e: Error) => void;
    const release = acquireChannel(client, 'room', undefined, () => new Promise<void>((_, reject) => (fail = reject)), 100);
    const result = fanOut()(msg(1)) as Promise<void>;
    release()(40); // cleanup and effect again, same task
    fail(new Error('real failure'));
    await expect(result).rejects.toThrow('real failure');
    release(); // a real unmount later still lets go, after the new delay
    vi.advanceTimersByTime(40);
    expect(client.channel('room').handlerCount).toBe(0);
  });

  it('still rethrows a rejection of a handler whose component is mounted', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    acquireChannel(client, 'room', undefined, () => Promise.reject(new Error('real failure')), 100);
    await expect(fanOut()(msg(1))).rejects.toThrow('real failure');
  });

  // retry() re-subscribes a failed channel; core, which no longer waits for a call made
  // before, hands the message in hand again: the handler ran twice on it at once.
  it('a message handed again while the handler is still on it waits for that call: not run twice at once, not again once it completed', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    const calls: number[] = [];
    const finish: Array<() => void> = [];
    acquireChannel(client, 'room', undefined, (m) => {
      calls.push(m.offset);
      return new Promise<void>((r) => finish.push(r));
    }, 100);
    const first = fanOut()(msg(1));
    const again = fanOut()(msg(1));
    await Promise.resolve();
    expect(calls).toEqual([1]);
    finish[0]!();
    await first;
    await again;
    expect(calls).toEqual([1]);
    // The next message still goes through.
    const next = fanOut()(msg(2));
    expect(calls).toEqual([1, 2]);
    finish[1]!();
    await next;
  });

  it('... and runs it again after that call failed', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    const calls: number[] = [];
    const settle: Array<[() => void, (e: Error) => void]> = [];
    acquireChannel(client, 'room', undefined, (m) => {
      calls.push(m.offset);
      return new Promise<void>((resolve, reject) => settle.push([resolve, reject]));
    }, 100);
    const first = fanOut()(msg(1));
    const again = fanOut()(msg(1));
    settle[0]![1](new Error('db down'));
    await expect(first).rejects.toThrow('db down');
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toEqual([1, 1]);
    settle[1]![0]();
    await again;
  });

  it('a release while a second delivery waits ends both', async () => {
    const client = new FakeClient();
    const fanOut = captureFanOut(client, 'room');
    const calls: number[] = [];
    const release = acquireChannel(client, 'room', undefined, (m) => {
      calls.push(m.offset);
      return new Promise<void>(() => {});
    }, 100);
    const first = fanOut()(msg(1));
    const again = fanOut()(msg(1));
    release();
    await first;
    await again;
    expect(calls).toEqual([1]);
  });
});
