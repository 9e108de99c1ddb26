import { createClient } from '../../src';
import { createManualClock, createManualLifecycle } from '../../src/testing';
import type { ClientOptions, LifelineClient, StateChange } from '../../src';
import { FakeSocket, welcomeFrame } from './fakeSocket';

/** A client on a manual clock, a manual lifecycle and fake sockets; the test is the server. */
export function setup(options: Partial<ClientOptions> = {}) {
  FakeSocket.all = [];
  const clock = createManualClock(1_000_000);
  const lifecycle = createManualLifecycle();
  const states: StateChange[] = [];
  const errors: any[] = [];
  let seq = 0;
  const random = () => ((seq = (seq * 9301 + 49297) % 233280) / 233280);
  const client: LifelineClient = createClient({
    url: 'ws://test/v1',
    WebSocket: FakeSocket as any,
    clock,
    random,
    lifecycle,
    ...options,
  });
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  const h = {
    client,
    clock,
    lifecycle,
    states,
    errors,
    get sockets() {
      return FakeSocket.all;
    },
    get sock(): FakeSocket {
      return FakeSocket.all[FakeSocket.all.length - 1]!;
    },
    live: () => FakeSocket.all.filter((s) => s.live).length,
    /** Opens the newest socket and welcomes it. */
    accept(over: Record<string, unknown> = {}) {
      const s = h.sock;
      s.open();
      s.push(welcomeFrame(over));
      return s;
    },
    /** Answers every pending `sub` on the newest socket. */
    answerSubs(head: Record<string, { offset: number; epoch: string; recovered?: boolean; replay?: number; reason?: string }>) {
      const s = h.sock;
      for (const f of s.frames('sub')) {
        if (f.answered) continue;
        const a = head[f.channel];
        if (a) s.push({ type: 'subscribed', ref: f.ref, channel: f.channel, ...a });
      }
    },
    msg(channel: string, offset: number, epoch = 'e1', data: unknown = offset) {
      h.sock.push({ type: 'msg', channel, offset, epoch, data, id: `p${offset}` });
    },
  };
  return h;
}

export const flushPromises = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Records how `p` settles without awaiting it, so a test can check it is still pending. */
export const settle = <T>(p: Promise<T>) => {
  const r: { value?: T; error?: any; done: boolean } = { done: false };
  p.then(
    (v) => Object.assign(r, { value: v, done: true }),
    (e) => Object.assign(r, { error: e, done: true }),
  );
  return r;
};

/** The server's ack of publish frame `f` at `offset` (epoch e1). */
export const ack = (h: ReturnType<typeof setup>, f: any, offset: number, duplicate?: boolean) =>
  h.sock.push({ type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset, epoch: 'e1', duplicate });
