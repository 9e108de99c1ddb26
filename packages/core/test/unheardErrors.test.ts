import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, isLifelineError, type ClientOptions } from '../src';
import { createManualClock } from '../src/testing';
import { FakeSocket, welcomeFrame } from './support/fakeSocket';

afterEach(() => vi.restoreAllMocks());

/** A client (no logger unless given) with no `error` listener unless `listen` adds one, open, with 'room' subscribed at offset 0 and a handler that throws. */
function throwingRoom(listen?: (client: ReturnType<typeof createClient>) => void, options: Partial<ClientOptions> = {}) {
  FakeSocket.all = [];
  const client = createClient({ url: 'ws://test/v1', WebSocket: FakeSocket as any, clock: createManualClock(1_000_000), lifecycle: false, ...options });
  listen?.(client);
  const room = client.channel('room');
  room.subscribe(() => {
    throw new Error('boom');
  });
  const sock = FakeSocket.all[FakeSocket.all.length - 1]!;
  sock.open();
  sock.push(welcomeFrame());
  for (const f of sock.frames('sub')) sock.push({ type: 'subscribed', ref: f.ref, channel: 'room', offset: 0, epoch: 'e1' });
  sock.push({ type: 'msg', channel: 'room', offset: 1, epoch: 'e1', data: 1, id: 'p1' });
  return { client, room };
}

describe('errors nobody listens for', () => {
  it('a throwing handler with no error listener on the client or its channel reaches console.error as HANDLER_ERROR', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    throwingRoom();
    expect(logged).toHaveBeenCalledTimes(1);
    const e = logged.mock.calls[0]![0];
    expect(isLifelineError(e, 'HANDLER_ERROR')).toBe(true);
    expect((e as Error).cause).toMatchObject({ message: 'boom' });
  });

  it('stays off the console when the client listens for errors', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const heard: unknown[] = [];
    throwingRoom((client) => client.on('error', (e) => heard.push(e)));
    expect(heard).toHaveLength(1);
    expect(logged).not.toHaveBeenCalled();
  });

  it('stays off the console when a logger is given (it gets the error as a warning)', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const warned: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (msg: string, meta: unknown) => warned.push([msg, meta]), error() {} };
    throwingRoom(undefined, { logger });
    expect(warned).toContainEqual(['error', expect.objectContaining({ code: 'HANDLER_ERROR', channel: 'room' })]);
    expect(logged).not.toHaveBeenCalled();
  });

  it('stays off the console when only the channel listens for errors', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const heard: unknown[] = [];
    throwingRoom((client) => client.channel('room').on('error', (e) => heard.push(e)));
    expect(heard).toHaveLength(1);
    expect(logged).not.toHaveBeenCalled();
  });
});
