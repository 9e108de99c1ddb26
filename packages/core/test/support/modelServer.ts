import type { Position } from '../../src';
import { flushPromises, type setup } from './harness';

type Harness = ReturnType<typeof setup>;

/**
 * A model of the reference server's subscribe path (PROTOCOL.md §4-§5) for one channel,
 * driven step by step by a random test: a log with an epoch, a head and a retention floor;
 * `sub` answered with the replay the protocol prescribes (recovered, out-of-retention with
 * the retained tail, epoch-changed, a `since` ahead of the head after the store lost
 * acknowledged writes), `unsub`, dropped connections, and faults on the live stream (a lost,
 * a duplicated or two swapped frames). Frames are served only when the test says so, so a
 * handler can be anywhere in its work when they arrive.
 *
 * Each message's data is `{id, prev}`: its own unique id and the id of the message before it
 * in its log (null for offset 1). Offsets alone cannot tell a message from the one a lost
 * write's offset was given to next; following `prev` can: a handler whose next message's
 * `prev` is not the last one it had skipped something (unless a gap said so) — or had a
 * message whose write the store lost and nothing could tell it: the log grew past the
 * client's `since` again before it came back, so the answer was a plain replay
 * (`unnoticed`). Once a `sub` was answered with a head behind a lost message (`since` ahead
 * of it), the client was told.
 */
export type ModelData = { id: string; prev: string | null };

export function modelServer(h: Harness, channel = 'room') {
  let processed = 0; // client frames of the current socket served so far
  let live = false; // the current socket has a served sub: publishes reach it
  let held: object | null = null; // a live frame held back to be sent after the next
  const fault = { lose: false, dup: false, swap: false };
  const s = {
    epoch: 'e1',
    /** Earliest retained offset. */
    floor: 1,
    epochs: 1,
    /** The store has lost acknowledged writes at least once (offsets were handed out twice). */
    lostWrites: false,
    fault,
    /** Ids of messages whose writes were lost, and their offsets; those the client was told about. */
    lost: new Map<string, number>(),
    told: new Set<string>(),
    /** The current epoch's log: `log[o - 1]` is stored at offset `o`. */
    log: [] as ModelData[],
    get head() {
      return s.log.length;
    },
  };
  let ids = 0;
  const sock = () => h.sockets.at(-1);
  const open = () => sock()?.readyState === 1;
  const frame = (o: number) => ({ type: 'msg', channel, offset: o, epoch: s.epoch, data: s.log[o - 1], id: s.log[o - 1]!.id });
  const send = (o: number) => sock()!.push(frame(o));
  const sendLive = (o: number) => {
    if (held != null) {
      send(o);
      sock()!.push(held);
      held = null;
    } else if (fault.swap) {
      fault.swap = false;
      held = frame(o);
    } else {
      send(o);
      if (fault.dup) {
        fault.dup = false;
        send(o);
      }
    }
  };
  /** `superseded`: the client sent an `unsub` after this `sub` already, it will not act on the answer. */
  const answer = (since: Position | undefined, superseded: boolean) => {
    const reply: Record<string, unknown> = { type: 'subscribed', channel, epoch: s.epoch, offset: s.head, presence: [] };
    let from = s.head + 1;
    const tail = () => {
      from = s.floor;
      if (s.head >= from) reply.replay = s.head - from + 1;
    };
    if (!since) return { reply, from };
    if (since.epoch !== s.epoch) {
      Object.assign(reply, { recovered: false, reason: 'epoch-changed' });
      tail();
    } else if (since.offset > s.head) {
      Object.assign(reply, { recovered: false, reason: 'out-of-retention' });
      if (!superseded) for (const [id, o] of s.lost) if (o > s.head) s.told.add(id);
    }
    else if (since.offset + 1 < s.floor) {
      Object.assign(reply, { recovered: false, reason: 'out-of-retention' });
      tail();
    } else {
      from = since.offset + 1;
      Object.assign(reply, { recovered: true, replay: s.head - since.offset });
    }
    return { reply, from };
  };
  const server = {
    state: s,
    publish(n: number) {
      for (let i = 0; i < n; i++) {
        s.log.push({ id: `m${++ids}`, prev: s.log.at(-1)?.id ?? null });
        if (!open() || !live) continue;
        if (fault.lose) {
          fault.lose = false;
          continue;
        }
        sendLive(s.head);
      }
    },
    /** Answers every frame the client sent on the current socket since the last call. */
    serve() {
      if (!open()) return;
      const ws = sock()!;
      const frames = ws.sent.slice(1).map((t) => JSON.parse(t)); // [0] is the hello
      for (; processed < frames.length; processed++) {
        const f = frames[processed];
        if (f.channel !== channel) continue;
        if (f.type === 'unsub') {
          live = false;
          held = null;
          ws.push({ type: 'unsubscribed', ref: f.ref, channel });
        } else if (f.type === 'sub') {
          if (held != null) ws.push(held);
          held = null;
          const { reply, from } = answer(f.since, frames.some((u, i) => i > processed && u.type === 'unsub' && u.channel === channel));
          ws.push({ ...reply, ref: f.ref });
          for (let o = from; o <= s.head; o++) send(o);
          live = true;
        }
      }
    },
    drop() {
      sock()?.serverClose(1006);
    },
    /** A lost message no answer could tell the client about (see ModelData). */
    unnoticed: (id: string) => s.lost.has(id) && !s.told.has(id),
    /** Opens and welcomes a socket the client is connecting on, if any. */
    connect() {
      const ws = sock();
      if (!ws || ws.readyState !== 0) return;
      ws.open();
      ws.push({ type: 'welcome', v: 1, session: 's', heartbeatMs: 60_000, serverTime: 0 });
      processed = 0;
      live = false;
      held = null;
    },
    /** The history is lost: a new, empty log. */
    resetEpoch() {
      s.epoch = `e${++s.epochs}`;
      s.log = [];
      s.floor = 1;
    },
    trim() {
      s.floor = s.head + 1;
    },
    /**
     * The store comes back from an older snapshot: the last `n` acknowledged writes are gone,
     * their offsets handed out again. Connections drop with it: on a connection that stays up
     * no client could tell the new messages from the ones it has (PROTOCOL.md §5 finds the
     * loss on the next `sub`, from a `since` ahead of the head).
     */
    loseWrites(n: number) {
      server.drop();
      const head = Math.max(0, s.head - n);
      for (let o = head + 1; o <= s.head; o++) s.lost.set(s.log[o - 1]!.id, o);
      s.log.length = head;
      s.floor = Math.min(s.floor, s.head + 1);
      s.lostWrites = true;
    },
    /**
     * The network goes quiet and stays up: faults off, the connection replaced twice (a
     * frame lost at the tail shows only with a resubscribe; a loss of writes behind what was
     * delivered, on the next one), every frame served. `drain` finishes the handlers' work.
     */
    async quiet(settle: () => Promise<void>, drain: () => Promise<boolean>) {
      fault.lose = fault.dup = fault.swap = false;
      for (const rounds of [8, 4]) {
        server.drop();
        for (let i = 0; i < rounds; i++) {
          h.clock.advance(1000);
          server.connect();
          server.serve();
          await settle();
          for (let j = 0; j < 300 && (await drain()); j++) {
            server.serve();
            await settle();
          }
        }
      }
    },
  };
  return server;
}

export { flushPromises };
