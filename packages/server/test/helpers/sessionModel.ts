// The shared half of the session model test: what the log holds (learned from acks and
// msgs, checked for one message per offset and one offset per id) and who is present
// (each connection's entries, and those of closed connections until their grace ends).
import type { ModelClient, ModelHooks } from './modelClient';

interface Graced {
  clientId: string;
  channel: string;
  /** Clock time at which the grace timer removes it. */
  until: number;
  /** False when the close raced an enter or leave still unanswered: it may not be there. */
  certain: boolean;
}

export class SessionModel implements ModelHooks {
  readonly violations: string[] = [];
  private readonly log = new Map<string, Map<number, { id: string | undefined; data: string }>>();
  private readonly idOffset = new Map<string, Map<string, number>>();
  /** Ids sent per channel (a first ack for one of them may be a duplicate: a closed connection's publish landed). */
  readonly sentIds = new Map<string, Set<string>>();
  private graced: Graced[] = [];

  constructor(
    readonly retention: number,
    private readonly graceMs: number,
    private readonly now: () => number,
    /** Token subjects are on: slot `cN` publishes as user `uN`. */
    private readonly users = false,
  ) {}

  userOf(id: string | undefined): string | undefined {
    return this.users && id !== undefined ? `u${id.slice(1, id.indexOf('-'))}` : undefined;
  }

  violation(what: string): void {
    this.violations.push(what);
  }

  stored(channel: string, offset: number, _epoch: string, id: string | undefined, data: unknown, by: 'msg' | 'ack'): void {
    const log = this.log.get(channel) ?? new Map();
    this.log.set(channel, log);
    const text = JSON.stringify(data);
    const known = log.get(offset);
    if (known && (known.id !== id || known.data !== text)) {
      this.violation(`${channel}@${offset}: ${by} says ${id} ${text}, already known as ${known.id} ${known.data}`);
    }
    if (!known) log.set(offset, { id, data: text });
    if (id !== undefined) this.idAt(channel, id, offset, by);
  }

  acked(channel: string, id: string, offset: number, duplicate: boolean): void {
    if (duplicate && !this.sentIds.get(channel)?.has(id)) this.violation(`duplicate ack for ${id}, never sent before`);
    this.idAt(channel, id, offset, duplicate ? 'duplicate ack' : 'ack');
  }

  private idAt(channel: string, id: string, offset: number, by: string): void {
    const ids = this.idOffset.get(channel) ?? new Map<string, number>();
    this.idOffset.set(channel, ids);
    const first = ids.get(id);
    if (first !== undefined && first !== offset) this.violation(`${channel}: id ${id} at ${first} and again at ${offset} (${by}): stored twice`);
    if (first === undefined) ids.set(id, offset);
  }

  presenceDone(client: ModelClient, channel: string, entered: boolean): void {
    // An explicit leave ends the grace of the client's older connections at once (§17).
    if (!entered) this.graced = this.graced.filter((g) => !(g.clientId === client.clientId && g.channel === channel));
  }

  /** `c` closed (at this clock time): its entries go on grace timers; those raced by a request may be there or not. */
  closed(c: ModelClient): void {
    const until = this.now() + this.graceMs;
    const racing = new Set<string>();
    for (const p of c.pending.values()) {
      if (p.bad || !p.type.startsWith('presence.') || !p.channel) continue;
      racing.add(p.channel);
      // A leave may have ended the older connections' grace before the close: or not.
      if (p.type === 'presence.leave') for (const g of this.graced) if (g.clientId === c.clientId && g.channel === p.channel) g.certain = false;
    }
    for (const channel of new Set([...c.entered, ...racing])) {
      this.graced.push({ clientId: c.clientId, channel, until, certain: c.entered.has(channel) && !racing.has(channel) });
    }
    c.entered.clear();
  }

  /** Entries of closed connections whose grace has not ended. */
  certainGraced(): number {
    return this.graced.filter((g) => g.certain && g.until > this.now()).length;
  }

  /** Who must be present on `channel`, and who may be. */
  expectedPresence(channel: string, open: readonly ModelClient[]): { required: Set<string>; allowed: Set<string> } {
    const required = new Set<string>();
    const allowed = new Set<string>();
    const now = this.now();
    for (const c of open) {
      if (c.entered.has(channel)) required.add(c.clientId);
      // An enter unanswered (only while settling fails) may have landed.
      for (const p of c.pending.values()) if (p.type === 'presence.enter' && p.channel === channel) allowed.add(c.clientId);
    }
    for (const g of this.graced) {
      if (g.channel !== channel || g.until <= now) continue;
      (g.certain ? required : allowed).add(g.clientId);
    }
    for (const id of required) allowed.add(id);
    return { required, allowed };
  }
}
