/**
 * In-memory LifelineClient for hook unit tests: no socket, records every
 * would-be wire operation so tests can count subscribes, unsubscribes and
 * presence frames, and lets a test push messages and state changes.
 */
import type {
  Channel,
  ChannelOptions,
  ChannelSnapshot,
  ClientStats,
  ConnectionSnapshot,
  LifelineClient,
  Message,
  PresenceMember,
  PublishOptions,
  PublishResult,
  Unsubscribe,
} from '@lifeline/core';

export type WireOp =
  | { op: 'sub' | 'unsub' | 'presence.leave'; channel: string }
  | { op: 'presence.enter'; channel: string; info: unknown }
  | { op: 'pub'; channel: string; data: unknown };

type Listener = (...args: any[]) => void;

class Emitter {
  private listeners = new Map<string, Set<Listener>>();
  on(event: string, listener: Listener): this {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
    return this;
  }
  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    const wrapper = this.onceOf.get(listener);
    if (wrapper) this.listeners.get(event)?.delete(wrapper), this.onceOf.delete(listener);
    return this;
  }
  private onceOf = new Map<Listener, Listener>();
  once(event: string, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.off(event, listener);
      listener(...args);
    };
    this.onceOf.set(listener, wrapper);
    return this.on(event, wrapper);
  }
  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }
  protected emit(event: string, ...args: unknown[]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) l(...args);
  }
}

export class FakeChannel<T = unknown> extends Emitter implements Channel<T> {
  private handlers = new Set<(msg: Message<T>) => void | Promise<void>>();
  private snapshot: ChannelSnapshot = { state: 'idle', position: null, lastGap: null, error: null };
  private snapshotListeners = new Set<() => void>();
  private memberList: readonly PresenceMember[] = [];
  private offset = 0;

  constructor(
    readonly name: string,
    private readonly client: FakeClient,
  ) {
    super();
  }

  get position() {
    return this.snapshot.position;
  }

  get handlerCount() {
    return this.handlers.size;
  }

  get snapshotListenerCount(): number {
    return this.snapshotListeners.size;
  }

  subscribe(handler: (msg: Message<T>) => void | Promise<void>): Unsubscribe {
    // A wrapper per call, as core does: the same function twice is two handlers.
    const entry = (msg: Message<T>) => handler(msg);
    if (this.handlers.size === 0) {
      this.client.wire.push({ op: 'sub', channel: this.name });
      this.setSnapshot({ state: 'subscribed' });
    }
    this.handlers.add(entry);
    return () => {
      if (!this.handlers.delete(entry) || this.handlers.size) return;
      this.client.wire.push({ op: 'unsub', channel: this.name });
      this.setSnapshot({ state: 'idle' });
    };
  }

  /** Test helper: delivers a message as the server would. */
  deliver(data: T): Message<T> {
    const msg: Message<T> = { type: 'msg', channel: this.name, offset: ++this.offset, epoch: 'e1', data };
    this.handOver(msg);
    this.setSnapshot({ position: { offset: msg.offset, epoch: msg.epoch } });
    return msg;
  }

  /** Test helper: hands an already delivered message to the handlers again, as core does after a handler threw ('redeliver'). */
  redeliver(msg: Message<T>): void {
    this.handOver(msg);
  }

  /** Calls every handler; a synchronous throw propagates, a rejection is taken (core reports it). */
  private handOver(msg: Message<T>): void {
    for (const h of [...this.handlers]) void h(msg)?.catch(() => {});
  }

  async publish(data: T, _options?: PublishOptions): Promise<PublishResult> {
    this.client.wire.push({ op: 'pub', channel: this.name, data });
    return { offset: this.offset + 1, epoch: 'e1', duplicate: false };
  }

  getSnapshot(): ChannelSnapshot {
    return this.snapshot;
  }

  subscribeSnapshot(listener: () => void): Unsubscribe {
    this.snapshotListeners.add(listener);
    return () => void this.snapshotListeners.delete(listener);
  }

  setSnapshot(patch: Partial<ChannelSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of [...this.snapshotListeners]) l();
  }

  /** Test helper: replaces the member list as a server presence event would. */
  setMembers(members: readonly PresenceMember[]): void {
    this.memberList = members;
    this.emit('presence', members);
  }

  readonly presence = {
    members: () => this.memberList,
    enter: async (info?: unknown) => {
      this.client.wire.push({ op: 'presence.enter', channel: this.name, info });
      const others = this.memberList.filter((m) => m.clientId !== this.client.clientId);
      this.setMembers([...others, { clientId: this.client.clientId, info }]);
    },
    leave: async () => {
      this.client.wire.push({ op: 'presence.leave', channel: this.name });
      this.setMembers(this.memberList.filter((m) => m.clientId !== this.client.clientId));
    },
  };
}

const initialSnapshot: ConnectionSnapshot = {
  state: 'closed',
  attempt: 0,
  retryInMs: null,
  retryAt: null,
  reason: null,
  lastError: null,
  session: null,
};

export class FakeClient extends Emitter implements LifelineClient {
  readonly clientId = 'fake-client';
  readonly wire: WireOp[] = [];
  readonly channelOptions: (ChannelOptions | undefined)[] = [];
  closed = 0;
  connects = 0;
  private channels = new Map<string, FakeChannel<any>>();
  private snapshot = initialSnapshot;
  private storeListenerSet = new Set<() => void>();

  get state() {
    return this.snapshot.state;
  }

  connect(): void {
    this.connects++;
    this.setSnapshot({ state: 'connecting', reason: 'connect' });
  }

  /** The fake has no outbox: it is always flushed. */
  async whenFlushed(): Promise<void> {}

  async close(): Promise<void> {
    this.closed++;
    this.setSnapshot({ state: 'closed', reason: 'close-requested' });
  }

  reconnectNow(): void {}

  setToken(): void {}

  publish<T = unknown>(channel: string, data: T, options?: PublishOptions): Promise<PublishResult> {
    return this.channel<T>(channel).publish(data, options);
  }

  channel<T = unknown>(name: string, options?: ChannelOptions): FakeChannel<T> {
    this.channelOptions.push(options);
    let ch = this.channels.get(name);
    if (!ch) this.channels.set(name, (ch = new FakeChannel<T>(name, this)));
    return ch;
  }

  getSnapshot(): ConnectionSnapshot {
    return this.snapshot;
  }

  /** How many store listeners are attached (React's useSyncExternalStore). */
  get storeListeners(): number {
    return this.storeListenerSet.size;
  }

  subscribe(listener: () => void): Unsubscribe {
    this.storeListenerSet.add(listener);
    return () => void this.storeListenerSet.delete(listener);
  }

  setSnapshot(patch: Partial<ConnectionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of [...this.storeListenerSet]) l();
  }

  /** Counts recorded wire operations of one kind, optionally on one channel. */
  count(op: WireOp['op'], channel?: string): number {
    return this.wire.filter((w) => w.op === op && (channel === undefined || w.channel === channel)).length;
  }

  stats(): ClientStats {
    return {
      reconnects: 0,
      attempt: 0,
      lastCloseCode: null,
      lastCloseReason: null,
      outboxDepth: 0,
      outboxBytes: 0,
      rttMs: null,
      received: 0,
      replayed: 0,
      deduped: 0,
      gaps: 0,
    };
  }
}
