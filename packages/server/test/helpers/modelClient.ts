// A raw /v1 client for the session model test: it sends exactly the frames it is told to,
// remembers every request it is owed an answer to, and checks each frame it receives
// against the protocol's promises (PROTOCOL.md §5, §6, §8) as it arrives. What it cannot
// judge alone (the log's content, presence) it reports to the shared SessionModel.
import WebSocket from 'ws';
import type { Frame } from './wsClient';

export type Position = { offset: number; epoch: string };

/** A request sent and not answered yet. `bad`: malformed on purpose, so an error is its answer. */
export interface Pending {
  type: string;
  channel?: string;
  since?: Position;
  limit?: number;
  id?: string;
  data?: unknown;
  bad?: boolean;
}

/** One subscription's stream, from its `subscribed` to the next one, its `unsubscribed`, or the close. */
export interface Segment {
  epoch: string;
  /** The offset the next `msg` must have. */
  next: number;
  /** Replayed messages still owed. */
  replayLeft: number;
  /** A page with `more`: nothing live follows it. */
  more: boolean;
  /** The members as this subscriber was told them (`subscribed.presence` + events). */
  presence: Set<string>;
}

/** What a client checks against the whole run: the log and presence. */
export interface ModelHooks {
  violation(what: string): void;
  /** A `msg` or a non-duplicate `ack` showed what is stored at `offset`. */
  stored(channel: string, offset: number, epoch: string, id: string | undefined, data: unknown, by: 'msg' | 'ack'): void;
  /** An `ack` (duplicate or not) named the offset of `id`. */
  acked(channel: string, id: string, offset: number, duplicate: boolean): void;
  /** `presence.ok` for an enter (true) or a leave (false). */
  presenceDone(client: ModelClient, channel: string, entered: boolean): void;
  /** `client`'s socket closed (any side): its presence entries start their grace. Called once. */
  closed(client: ModelClient): void;
  /** The `user` a message published under `id` must carry (undefined: none). */
  userOf(id: string | undefined): string | undefined;
  /** Retention of the broker (how many messages a channel keeps). */
  readonly retention: number;
}

const REPLY: Record<string, string> = {
  sub: 'subscribed',
  unsub: 'unsubscribed',
  pub: 'ack',
  'presence.enter': 'presence.ok',
  'presence.leave': 'presence.ok',
  auth: 'authed',
};

export class ModelClient {
  readonly frames: Frame[] = [];
  readonly pending = new Map<number, Pending>();
  readonly segments = new Map<string, Segment>();
  /** Channels whose enter was answered `presence.ok` on this connection (and not left since). */
  readonly entered = new Set<string>();
  closed: { code: number; reason: string } | undefined;
  paused = false;
  drained = false;
  private ref = 0;
  private cursor = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly slot: number,
    readonly clientId: string,
    private readonly hooks: ModelHooks,
    /** The slot's positions, per channel (what a client would resubscribe from). */
    readonly positions: Map<string, Position>,
  ) {
    ws.on('message', (data) => {
      let f: Frame;
      try {
        f = JSON.parse(data.toString());
      } catch {
        f = { type: '<unparsable>' };
      }
      this.frames.push(f);
      this.take(f);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.noteClosed();
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string, slot: number, clientId: string, hooks: ModelHooks, positions: Map<string, Position>, token?: string): Promise<ModelClient> {
    const ws = new WebSocket(`${url}/v1`);
    const c = new ModelClient(ws, slot, clientId, hooks, positions);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(token === undefined ? { type: 'hello', v: 1, clientId } : { type: 'hello', v: 1, clientId, token }));
    const deadline = Date.now() + 5000;
    while (!c.frames.some((f) => f.type === 'welcome')) {
      if (c.closed || Date.now() > deadline) throw new Error(`no welcome (closed ${JSON.stringify(c.closed)})`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return c;
  }

  private closeNoted = false;

  /** Tells the model this connection is gone (once): at the terminate, or when the server's close arrives. */
  noteClosed(): void {
    if (this.closeNoted) return;
    this.closeNoted = true;
    this.hooks.closed(this);
  }

  get open(): boolean {
    return this.closed === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request with a fresh ref (`frame` may carry malformed fields: `bad`). */
  request(frame: Record<string, unknown>, p: Pending): void {
    if (!this.open) return;
    const ref = ++this.ref;
    this.pending.set(ref, p);
    this.ws.send(JSON.stringify({ ...frame, ref }));
  }

  sendRaw(text: string): void {
    if (this.open) this.ws.send(text);
  }

  pause(): void {
    const raw = (this.ws as unknown as { _socket?: { pause(): void } })._socket;
    raw?.pause();
    this.paused = true;
  }

  resume(): void {
    const raw = (this.ws as unknown as { _socket?: { resume(): void } })._socket;
    raw?.resume();
    this.paused = false;
  }

  /** Nothing owed: every request answered (or the socket closed). */
  get idle(): boolean {
    return this.closed !== undefined || this.pending.size === 0;
  }

  private bad(what: string): void {
    this.hooks.violation(`client ${this.clientId}: ${what}`);
  }

  private answer(f: Frame): Pending | undefined {
    if (typeof f.ref !== 'number') {
      this.bad(`${f.type} without ref: ${JSON.stringify(f)}`);
      return undefined;
    }
    const p = this.pending.get(f.ref);
    if (!p) {
      this.bad(`${f.type} answers ref ${f.ref}, which is not owed an answer (a second answer?): ${JSON.stringify(f)}`);
      return undefined;
    }
    this.pending.delete(f.ref);
    if (f.type === 'error') {
      if (!p.bad) this.bad(`a valid ${p.type} was refused: ${JSON.stringify(f)}`);
      else if (f.code !== 'BAD_FIELD') this.bad(`a malformed ${p.type} got ${f.code}, not BAD_FIELD`);
      return undefined;
    }
    if (p.bad) this.bad(`a malformed ${p.type} was answered ${f.type}: ${JSON.stringify(f)}`);
    if (REPLY[p.type] !== f.type) this.bad(`${p.type} answered with ${f.type}`);
    if (p.channel !== undefined && f.channel !== p.channel) this.bad(`${p.type} on ${p.channel} answered for ${f.channel}`);
    return p;
  }

  private take(f: Frame): void {
    switch (f.type) {
      case 'welcome':
      case 'ping':
      case 'pong':
        return;
      case 'drain':
        this.drained = true;
        return;
      case 'error':
        this.answer(f);
        return;
      case 'subscribed': {
        const p = this.answer(f);
        if (p) this.subscribed(p, f);
        return;
      }
      case 'unsubscribed':
        if (this.answer(f)) this.segments.delete(f.channel);
        return;
      case 'ack': {
        const p = this.answer(f);
        if (!p) return;
        if (f.id !== p.id) this.bad(`ack for ${p.id} names ${f.id}`);
        if (!f.duplicate) this.hooks.stored(f.channel, f.offset, f.epoch, p.id, p.data, 'ack');
        this.hooks.acked(f.channel, p.id!, f.offset, f.duplicate === true);
        return;
      }
      case 'authed':
        this.answer(f);
        return;
      case 'presence.ok': {
        const p = this.answer(f);
        if (!p) return;
        if (p.type === 'presence.enter') this.entered.add(f.channel);
        else this.entered.delete(f.channel);
        this.hooks.presenceDone(this, f.channel, p.type === 'presence.enter');
        return;
      }
      case 'presence': {
        const seg = this.segments.get(f.channel);
        if (!seg) return this.bad(`presence event on ${f.channel}, not subscribed: ${JSON.stringify(f)}`);
        if (f.event === 'leave') seg.presence.delete(f.member.clientId);
        else seg.presence.add(f.member.clientId);
        return;
      }
      case 'msg':
        return this.msg(f);
      default:
        this.bad(`unexpected frame ${JSON.stringify(f)}`);
    }
  }

  private subscribed(p: Pending, f: Frame): void {
    const replay: number = f.replay ?? 0;
    const start = f.offset - replay;
    if (!Number.isSafeInteger(f.offset) || f.offset < 0 || typeof f.epoch !== 'string') return this.bad(`malformed subscribed ${JSON.stringify(f)}`);
    if (!Array.isArray(f.presence)) return this.bad(`subscribed without a presence list: ${JSON.stringify(f)}`);
    if (start < 0) this.bad(`replay ${replay} above offset ${f.offset}`);
    if (f.more && !(p.limit !== undefined && replay === p.limit)) this.bad(`more without a full page (limit ${p.limit}): ${JSON.stringify(f)}`);
    if (p.limit !== undefined && replay > p.limit) this.bad(`replay ${replay} above limit ${p.limit}`);
    const since = p.since;
    const R = this.hooks.retention;
    if (!since) {
      if (f.recovered !== undefined || f.replay !== undefined || f.more) this.bad(`sub without since answered ${JSON.stringify(f)}`);
    } else if (f.recovered === true) {
      if (since.epoch !== f.epoch) this.bad(`recovered across epochs: since ${JSON.stringify(since)}, ${JSON.stringify(f)}`);
      if (start !== since.offset) this.bad(`recovered replay starts at ${start + 1}, since was ${since.offset}: ${JSON.stringify(f)}`);
      if (f.reason !== undefined) this.bad(`recovered with a reason`);
    } else if (f.recovered === false) {
      if (f.reason === 'epoch-changed') {
        if (since.epoch === f.epoch) this.bad(`epoch-changed for the same epoch: ${JSON.stringify(f)}`);
      } else if (f.reason === 'out-of-retention') {
        if (since.epoch !== f.epoch) this.bad(`out-of-retention across epochs`);
        const ahead = since.offset > f.offset && f.replay === undefined;
        if (!ahead && !(start > since.offset)) this.bad(`out-of-retention, but the tail starts at ${start + 1} <= since+1: ${JSON.stringify(f)} since ${JSON.stringify(since)}`);
        // With a retention that keeps everything nothing falls out of it.
        if (!ahead && f.offset <= R && !f.more) this.bad(`out-of-retention with everything retained: ${JSON.stringify(f)}`);
      } else this.bad(`recovered false with reason ${f.reason}`);
      // The retained tail follows (PROTOCOL §5): the whole of it when not paged.
      if (!(f.reason === 'out-of-retention' && since.offset > f.offset) && !f.more) {
        const retained = Math.min(f.offset, R);
        if (replay !== retained) this.bad(`recovered false with replay ${f.replay}, retained ${retained}: ${JSON.stringify(f)}`);
      }
    } else this.bad(`sub with since answered without recovered: ${JSON.stringify(f)}`);
    this.segments.set(f.channel, {
      epoch: f.epoch,
      next: start + 1,
      replayLeft: replay,
      more: f.more === true,
      presence: new Set(f.presence.map((m: { clientId: string }) => m.clientId)),
    });
    // A gap surfaced (recovered false) moves the position to where delivery resumes.
    this.positions.set(f.channel, { offset: start, epoch: f.epoch });
  }

  private msg(f: Frame): void {
    const seg = this.segments.get(f.channel);
    if (!seg) return this.bad(`msg ${f.offset} on ${f.channel}, not subscribed`);
    if (seg.more && seg.replayLeft === 0) return this.bad(`live msg ${f.offset} after a page with more`);
    if (f.epoch !== seg.epoch) this.bad(`msg of epoch ${f.epoch} in a stream of ${seg.epoch}`);
    if (f.offset !== seg.next) {
      this.bad(`msg ${f.offset} on ${f.channel} where ${seg.next} was due (${f.offset < seg.next ? 'duplicate' : 'hole'})`);
      seg.next = f.offset + 1;
    } else seg.next++;
    if (seg.replayLeft > 0) seg.replayLeft--;
    if (f.user !== this.hooks.userOf(f.id)) this.bad(`msg ${f.offset} (id ${f.id}) carries user ${f.user}, published by ${this.hooks.userOf(f.id)}`);
    this.positions.set(f.channel, { offset: f.offset, epoch: f.epoch });
    this.hooks.stored(f.channel, f.offset, f.epoch, f.id, f.data, 'msg');
  }
}
