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
 * A `sub` with `limit` is answered as the reference server does (PROTOCOL.md §5 "Paged
 * replay", packages/server/src/replay.ts limitPlan, session/subscription.ts park): when more
 * than `limit` messages are owed, the first `limit` of them, a `subscribed` with `more: true`,
 * `replay: limit` and the page's last offset, and then nothing live on that subscription
 * until the client's next `sub` (`parkedAt` says where such a page ended).
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
  // After a `more` page: where it ended, and the client's `sub` frames on the socket by then.
  let parked: { epoch: string; offset: number; subs: number } | null = null;
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
    /** `sub` frames that carried `limit`, and those answered with `more` (how much paging a run saw). */
    limited: 0,
    pages: 0,
    /** Frames the reference server refuses, which the client sent (a `limit` that is no integer >= 1). */
    refused: [] as string[],
    /** Offsets this model sent live on a parked subscription (a model bug: the reference drops them). */
    parkedSends: [] as number[],
    /** The current epoch's log: `log[o - 1]` is stored at offset `o`. */
    log: [] as ModelData[],
    get head() {
      return s.log.length;
    },
  };
  let ids = 0;
  const sock = () => h.sockets.at(-1);
  // The frames the client sent on a socket, parsed once each (a drain serves after every call).
  let parsedOf: unknown = null;
  let parsed: any[] = [];
  const clientFrames = () => {
    const ws = sock()!;
    if (parsedOf !== ws) (parsedOf = ws), (parsed = []);
    for (let i = parsed.length + 1; i < ws.sent.length; i++) parsed.push(JSON.parse(ws.sent[i]!)); // [0] is the hello
    return parsed;
  };
  const subsSent = (frames: any[], upTo = frames.length) => {
    let n = 0;
    for (let i = 0; i < upTo; i++) if (frames[i].type === 'sub' && frames[i].channel === channel) n++;
    return n;
  };
  const open = () => sock()?.readyState === 1;
  const frame = (o: number) => ({ type: 'msg', channel, offset: o, epoch: s.epoch, data: s.log[o - 1], id: s.log[o - 1]!.id });
  const send = (o: number) => {
    if (parked) s.parkedSends.push(o);
    sock()!.push(frame(o));
  };
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
  /**
   * The reply to a `sub` and the offsets `[from, to]` of the replay that follows it; `more`:
   * a page of a longer replay (`limit`), the subscription does not go live.
   * `superseded`: the client sent an `unsub` after this `sub` already, it will not act on the answer.
   */
  const answer = (since: Position | undefined, limit: number | undefined, superseded: boolean) => {
    const reply: Record<string, unknown> = { type: 'subscribed', channel, epoch: s.epoch, offset: s.head, presence: [] };
    let from = s.head + 1;
    const tail = () => {
      from = s.floor;
      if (s.head >= from) reply.replay = s.head - from + 1;
    };
    const page = () => {
      const count = s.head - from + 1;
      // limitPlan: cut only when more than `limit` are owed; the reply's offset is then the
      // page's end, so `offset - replay` (where a loss's gap ends) is unchanged.
      if (!limit || count <= limit) return { reply, from, to: s.head, more: false };
      const to = from + limit - 1;
      Object.assign(reply, { offset: to, replay: limit, more: true });
      return { reply, from, to, more: true };
    };
    if (!since) return { reply, from, to: s.head, more: false };
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
    return page();
  };
  const server = {
    state: s,
    /**
     * Where the `more` page the current socket's subscription is parked after ended, while
     * the client has sent no `sub` for the channel since: it may be handed nothing past it.
     */
    parkedAt(): Position | null {
      if (!parked || !open()) return null;
      return subsSent(clientFrames()) === parked.subs ? { offset: parked.offset, epoch: parked.epoch } : null;
    },
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
      const frames = clientFrames();
      for (; processed < frames.length; processed++) {
        const f = frames[processed];
        if (f.channel !== channel) continue;
        if (f.type === 'unsub') {
          live = false;
          parked = null;
          held = null;
          ws.push({ type: 'unsubscribed', ref: f.ref, channel });
        } else if (f.type === 'sub') {
          if (held != null) ws.push(held);
          held = null;
          if (f.limit !== undefined) {
            s.limited++;
            // validate.ts: BAD_FIELD, answered at once; the subscription stays as it was.
            if (!Number.isSafeInteger(f.limit) || f.limit < 1) {
              s.refused.push(JSON.stringify(f));
              ws.push({ type: 'error', code: 'BAD_FIELD', message: '"limit" must be a positive integer', ref: f.ref, channel });
              continue;
            }
          }
          // A new `sub` replaces a parked subscription.
          parked = null;
          const superseded = frames.some((u, i) => i > processed && u.type === 'unsub' && u.channel === channel);
          const { reply, from, to, more } = answer(f.since, f.limit, superseded);
          ws.push({ ...reply, ref: f.ref });
          for (let o = from; o <= to; o++) send(o);
          // park(): the page is sent, nothing live follows it until the next `sub`.
          live = !more;
          if (more) {
            s.pages++;
            parked = { epoch: s.epoch, offset: to, subs: subsSent(frames, processed + 1) };
          }
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
      parked = null;
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
          // Bounded: a backlog of a few thousand takes a call per message, and pages.
          for (let j = 0; j < 20_000 && (await drain()); j++) {
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
