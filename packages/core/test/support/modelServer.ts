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
 *
 * Cost (PROTOCOL.md §5 "Paged replay"): `sent` counts every `msg` frame sent (live, replayed,
 * duplicated), `budget` what a paged client may be sent, and `overpaid` the `sub`s answered
 * with more than that. A `sub` is charged by what the client knew when it asked:
 * - the first on a socket, or the first after an `unsub` (a reconnect, a handler coming back):
 *   its whole replay (README: "a normal reconnect asks for everything");
 * - one with `limit`: a page, 1000 at most (the buffer it fills);
 * - any other (a hole, a failed handler's redelivery, a new epoch on the live stream): a
 *   client that asks without `limit` is not catching up (not overflowed, not on a page with
 *   more after it), so since the last answer it had when it asked it has had everything live
 *   but for the message in hand and its 1000 buffered; what it can be owed is those 1001 and
 *   what was published since that answer (lost, dropped while it waited, or not yet served).
 *   With no answer before it on the socket (a `sub` sent before the first was answered), its
 *   whole replay, as a first one.
 *   Over that by at most the (whole, not paged) replay of that answer: `replayAgain`, not
 *   `overpaid` — a failure or a hole inside a replay the client did not page asks for the
 *   rest of it again without `limit` when at most a page of it was left (a longer rest is
 *   asked for a page at a time: replayRetryKeepsLimit.test.ts).
 * Live, each message at most once (plus each duplicated frame). So over a run
 * `sent <= budget = published + duplicated + Σ first-sub replays + 1000 × paged subs +
 * Σ (1001 + published since the answer it knew) over the others`. A `sub` without `limit` mid
 * catch-up (before 06c8427) is sent the whole rest of the backlog, once per fault while
 * catching up (~backlog²/2000 over a catch-up with a failure a page).
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
    /** `msg` frames sent, what a paged client may be sent (see above), and the `sub`s over it. */
    sent: 0,
    budget: 0,
    overpaid: [] as string[],
    replayAgain: [] as string[],
    /** `sub`s over the bound by at most the replay they interrupted (known, see `serve`). */
    /** The current epoch's log: `log[o - 1]` is stored at offset `o`. */
    log: [] as ModelData[],
    get head() {
      return s.log.length;
    },
  };
  let ids = 0;
  // Cost: no `sub` for the channel on this socket since it opened or since an `unsub`; the
  // `sub`s answered on it: how many frames the client had sent then (those it sent later, it
  // sent knowing the answer: the socket delivers synchronously) and `ids` (messages published).
  let first = true;
  let answered: { sent: number; ids: number; replay: number; more: boolean }[] = [];
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
    push(frame(o));
  };
  const push = (f: object) => {
    s.sent++;
    sock()!.push(f);
  };
  const sendLive = (o: number) => {
    if (held != null) {
      send(o);
      push(held);
      held = null;
    } else if (fault.swap) {
      fault.swap = false;
      held = frame(o);
    } else {
      send(o);
      if (fault.dup) {
        fault.dup = false;
        s.budget++;
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
        s.budget++; // live once
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
          // The client forgot its catch-up (`_reset`): what it knew before counts no more.
          first = true;
          answered = [];
          live = false;
          parked = null;
          held = null;
          ws.push({ type: 'unsubscribed', ref: f.ref, channel });
        } else if (f.type === 'sub') {
          if (held != null) push(held);
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
          const replay = Math.max(0, to - from + 1);
          // The last answer the client had when it sent this `sub` (`ws.sent[0]` is the hello).
          let known;
          for (const a of answered) if (a.sent <= processed + 1) known = a;
          const allowed = first || !known ? replay : f.limit !== undefined ? 1000 : 1001 + ids - known.ids;
          // A failure or a hole in a whole (not paged) replay of at most a page asks for the
          // rest of it again without `limit` (longer ones ask for a page: replayRetryKeepsLimit
          // .test.ts): tolerated up to that replay, counted apart as `replayAgain`.
          const again = known && !known.more && f.limit === undefined && !first ? known.replay : 0;
          s.budget += allowed + again;
          const what = `sub ${JSON.stringify({ since: f.since, limit: f.limit })} answered with ${replay} (${allowed} allowed)`;
          if (replay > allowed + again) s.overpaid.push(what);
          else if (replay > allowed) s.replayAgain.push(what);
          first = false;
          answered.push({ sent: ws.sent.length, ids, replay, more });
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
      first = true;
      answered = [];
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
