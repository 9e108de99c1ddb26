import type WebSocket from 'ws';
import type { Agent as HttpAgent } from 'node:http';
import {
  createClient,
  type ChannelOptions,
  type ClientOptions,
  type ClientStats,
  type ConnectionSnapshot,
  type ConnectionState,
  type LifelineClient,
  type LifelineError,
  type OutboxEvent,
  type Position,
  type PublishOptions,
  type StateChange,
  type Unsubscribe,
  type WebSocketLike,
} from '@lifeline/core';
import { useCheckpointStore } from './checkpoint/storeUse';
import type { CheckpointStore } from './checkpoint/types';
import { drainClient, resolveDrainOptions, type DrainOptions, type DrainResult, type ResolvedDrainOptions } from './drain';
import { checkOptionsObject, LifelineNodeError } from './errors';
import type { MessageIterator } from './messageIterator';
import { NodeChannel } from './nodeChannel';
import { coreOptionsView, transportView } from './liveOptions';
import { checkNodeOptions, checkTransportOptions } from './nodeOptions';
import { checkKnownKeys, NODE_OPTION_KEYS } from './optionKeys';
import { createNodeWebSocket, type TransportOptions } from './nodeSocket';
import { ProcessKeepAlive, unrefClock } from './processLiveness';
import { failedByNodeClose, PublishHolds } from './publishHolds';
import { SocketFlow, type FlowControlOptions, type FlowStats } from './socketFlow';

/** Core's reasons for a stop with no retry that neither close() nor drain() caused. */
const GIVE_UP_REASONS: ReadonlySet<string> = new Set(['terminal', 'auth-failed', 'max-attempts']);

/**
 * Options of {@link createNodeClient}: core's options plus Node transport, checkpoints and
 * liveness. The object is kept as given, as core keeps its own: `url`, `agent`,
 * `handshakeTimeoutMs`, `heartbeat.timeoutMs` and the transport options (`headers`, `tls`,
 * `perMessageDeflate`, `maxPayloadBytes`) are read at each connection attempt (a `state`
 * listener may assign `options.url`), the rest once at creation.
 */
export interface NodeClientOptions extends Omit<ClientOptions, 'WebSocket' | 'agent'>, Omit<TransportOptions, 'agent'> {
  /**
   * An `http.Agent` for the upgrade request (proxies, keep-alive pools), or a string
   * sent as `hello.agent` (core's meaning of this name).
   * @default undefined (Node's global agent; hello.agent 'lifeline-node/0.1.0')
   */
  agent?: HttpAgent | string | undefined;
  /** Where consumers store their positions; channels resume from it. @default null (in-memory acks only) */
  checkpoint?: CheckpointStore | null | undefined;
  /**
   * Hold a ref'd handle while there is work in progress — an iteration or `consume()`
   * running, a publish queued or in flight (not yet acked or rejected), a `drain()`
   * under way — so the process stays up during reconnect backoff. Timers are always
   * unref'd; an idle or closed client holds nothing.
   * @default true
   */
  keepProcessAlive?: boolean | undefined;
  /** Paused-socket keepalive and the overall buffer bound. @default {@link FLOW_DEFAULTS} */
  flowControl?: FlowControlOptions | undefined;
}

/**
 * A socket failure as `transport.lastError` tells it: `ws`'s error (`code` such as
 * `ECONNREFUSED`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`, `BAD_OPTION` for a failing
 * `headers` function), or an upgrade the server or a gateway answered with an HTTP status
 * (`code: 'UPGRADE_REFUSED'`, `statusCode`, message `upgrade refused: http 401`).
 */
export type TransportError = Error & { code?: string; statusCode?: number };

/** The Node client: core's client wired to `ws`, plus Node-only features. */
export interface NodeClient {
  /** The underlying core client (state machine, outbox, channels). */
  readonly core: LifelineClient;
  readonly state: ConnectionState;
  readonly clientId: string;
  /**
   * Live socket, flow-control counters, and `lastError`: the last error `ws` reported on
   * a socket (TLS verification, DNS, ECONNREFUSED…), which core only sees as a close with
   * 1006, or an upgrade refused with an HTTP status (`UPGRADE_REFUSED`, `statusCode`); `null`
   * until one happened. Each one is also logged as `warn('socket-error')`. Core closing a
   * socket that is still connecting (after such a refusal, or at its handshake timeout) is not one.
   */
  readonly transport: {
    readonly socket: WebSocket | null;
    readonly paused: boolean;
    readonly stats: Readonly<FlowStats>;
    readonly lastError: TransportError | null;
  };
  /**
   * The Node channel `name`: the same object per name. It starts reading its checkpoint at
   * once; `since` applies when the store has none. On the first call an invalid name or option
   * is reported by `ready()` and iterations (`BAD_ARGUMENT`), not thrown here. A later call's
   * options apply as core's `channel()` applies them: `since` while the channel has no position
   * yet (made earlier to publish, nothing consumed: a `sub` already sent is sent again from it),
   * `onHandlerError` while nobody consumes it.
   * @throws LifelineNodeError `BAD_OPTION` on a later call, nothing changed, for an invalid
   * `since` or `onHandlerError`, a `since` other than the one in force once the channel has a
   * position, or the other `onHandlerError` while the channel is consumed.
   */
  channel<T = unknown>(name: string, options?: Omit<ChannelOptions, 'since'> & { since?: Position | undefined }): NodeChannel<T>;
  /**
   * Stops consumers after their current message, flushes outbox and checkpoints, closes
   * (code 1001 by default). A second call returns the same promise, unless `close()` was
   * called in between. Rejects with `BAD_OPTION` for bad options (nothing stopped) or
   * `CLIENT_CLOSED` after `close()` (also when a drain ran before it).
   * The client cannot be used afterwards.
   */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /**
   * Closes now (code 1000): consumers end (their current message unacknowledged),
   * publishes still queued are rejected with `CLIENT_CLOSED`; waits for checkpoint writes
   * in flight. New iterations then throw `CLIENT_CLOSED`.
   */
  close(): Promise<void>;
  /** Starts connecting (after `autoConnect: false`, or again after core gave up). */
  connect(): void;
  /** Core's connection snapshot. */
  getSnapshot(): ConnectionSnapshot;
  /** Core's store contract: the listener is called after each snapshot change. */
  subscribe(listener: () => void): Unsubscribe;
  /**
   * Core's client events: `state`: every transition; `error`: every error core reports
   * (a `LifelineError`); `outbox`: a publish left the outbox unsent. Another name is a
   * type error (it was accepted and its listener never called).
   */
  on(event: 'state', listener: (e: StateChange) => void): this;
  on(event: 'error', listener: (e: LifelineError) => void): this;
  on(event: 'outbox', listener: (e: OutboxEvent) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  /** Core's counters (see `transport.stats` for flow control). */
  stats(): ClientStats;
}

/**
 * Creates a Node client. Connects at once unless `autoConnect: false`. Unlike core's
 * defaults: no browser lifecycle source, every timer unref'd (see `keepProcessAlive`),
 * `hello.agent` 'lifeline-node/0.1.0'.
 * @throws LifelineNodeError `BAD_OPTION` for options that are not an object, an unknown key
 * (naming the closest known one), an invalid Node
 * option (url, transport, flowControl — an unknown key in it too —, checkpoint,
 * keepProcessAlive) or a `WebSocket` (the adapter supplies `ws`),
 * and core's `LifelineError` `BAD_ARGUMENT` for an invalid core option (reconnect,
 * heartbeat, outbox), before anything connects.
 */
export function createNodeClient(options: NodeClientOptions): NodeClient {
  // Before any property read: `createNodeClient()` crashed with a raw TypeError on `url`.
  checkOptionsObject(options, 'createNodeClient()');
  // First: a mistyped `url` must be named as such, not reported as a missing URL.
  checkKnownKeys(options, NODE_OPTION_KEYS, 'createNodeClient()');
  checkNodeOptions(options);
  // Not in the type, but a JavaScript caller can pass it: it used to be replaced by the
  // adapter's class without a word, so the socket the caller chose was never used.
  if ((options as { WebSocket?: unknown }).WebSocket !== undefined) {
    throw new LifelineNodeError(
      'BAD_OPTION',
      "WebSocket is not accepted: the Node adapter supplies its own ws class (it sets the headers, agent and TLS options and pauses the socket); use @lifeline/core's createClient to bring your own WebSocket, or this adapter's headers/agent/tls options",
    );
  }
  // Read once. Not `...core`: core must get a view of this object, not a copy (see coreOptionsView).
  const { checkpoint = null, keepProcessAlive = true, flowControl } = options;
  const clock = unrefClock(options.clock);
  const flow = new SocketFlow(clock, flowControl);
  const keepAlive = new ProcessKeepAlive(keepProcessAlive);
  const iterators = new Set<MessageIterator<any>>();
  const pending = new Set<Promise<unknown>>();
  const channels = new Map<string, NodeChannel<any>>();
  let closedState: 'open' | 'draining' | 'closed' = 'open';
  let draining: Promise<DrainResult> | null = null;
  /** close() was called (a finished drain also leaves `closedState` 'closed'). */
  let closeCalled = false;
  let lastError: TransportError | null = null;
  // Core's socket handling is the browser's: an error is a close with 1006, nothing more.
  // Node knows why (a certificate, DNS, a refused port); an operator needs that.
  // Sockets core closed while still connecting (a refused upgrade, its handshake timeout):
  // ws then reports "closed before the connection was established", which is core's own
  // doing, not the cause. It hid the real one (an upgrade refused with HTTP 401).
  const abortedByCore = new WeakSet<WebSocket>();
  const onSocketError = (socket: WebSocket, error: TransportError) => {
    // Closing a socket that is still connecting makes ws report one: not a fault.
    if (closedState !== 'open' || abortedByCore.has(socket)) return;
    lastError = error;
    // The socket's own: `options.url` may already name the next attempt's server.
    options.logger?.warn('socket-error', {
      url: socket.url,
      code: error.code,
      message: error.message,
      ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
    });
  };
  // ws reports no error for it when someone listens (core does): the status is the cause.
  const onUnexpectedResponse = (socket: WebSocket, status: number | undefined) => {
    const refused: TransportError = new Error(`upgrade refused: http ${status}`);
    refused.code = 'UPGRADE_REFUSED';
    if (status !== undefined) refused.statusCode = status;
    onSocketError(socket, refused);
  };

  flow.setBufferedCounter(() => {
    let total = 0;
    for (const it of iterators) total += it.buffered;
    return total;
  });

  const NodeSocket = createNodeWebSocket(
    transportView(options),
    (socket) => {
      socket.on('error', (error) => onSocketError(socket, error));
      socket.on('unexpected-response', (_request, response) => onUnexpectedResponse(socket, response.statusCode));
      flow.attach(socket);
    },
    (socket, data) => flow.sent(socket, data),
  ) as typeof WebSocket;
  // The url and transport options are read at each attempt: one assigned since creation is
  // held to the rules it would have met then. A throw here stops core for good (`terminal`,
  // BAD_ARGUMENT with this BAD_OPTION as its cause), as an invalid url does in core: the
  // same options would fail the same way on every retry.
  class CheckedNodeSocket extends NodeSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      checkTransportOptions(url, options);
      super(url, protocols);
    }

    override terminate(): void {
      if (this.readyState === this.CONNECTING) abortedByCore.add(this);
      super.terminate();
    }

    override close(code?: number, reason?: string | Buffer): void {
      if (this.readyState === this.CONNECTING) abortedByCore.add(this);
      super.close(code, reason);
    }
  }
  const client = createClient(coreOptionsView(options, { clock, WebSocket: CheckedNodeSocket as unknown as WebSocketLike }));
  flow.setAwaitingAcksCounter(() => client.stats().outboxDepth);
  // Not once closed: a publish made on a closed core client waits for a connect() that
  // may never come, and must not keep the process up for ever.
  const publishes = new PublishHolds(keepAlive, () => closedState !== 'closed');
  publishes.wrap(client);

  // Core stopped for good (no retry scheduled) for a reason of its own: a loop waiting for
  // messages would wait for ever, holding the process up. It fails instead, so a worker
  // with a revoked credential crashes visibly rather than hanging. (close()/drain() end
  // loops with done, and are not among these reasons.)
  // An iteration started while stopped fails at once; connect()/setToken() start over.
  let gaveUp: LifelineNodeError | null = null;
  client.on('state', (change: StateChange) => {
    if (change.to === 'connecting') gaveUp = null;
    if (change.to !== 'closed' || change.retryInMs !== null || !GIVE_UP_REASONS.has(change.reason)) return;
    gaveUp = new LifelineNodeError('CLIENT_STOPPED', `the client stopped connecting (${change.reason}): ${change.error?.message ?? 'no retry left'}`, {
      ...(change.error ? { cause: change.error } : {}),
      details: { reason: change.reason, closeCode: change.closeCode, closeReason: change.closeReason },
    });
    for (const it of iterators) it.fail(gaveUp);
  });

  // A drain lets running loop bodies finish, publishes included (they are flushed by
  // the drain); no new iteration may start. After the drain nothing is accepted.
  const assertOpen = (publishing = false) => {
    if (closedState !== 'open' && !(publishing && closedState === 'draining')) {
      throw new LifelineNodeError('CLIENT_CLOSED', `the client is ${closedState === 'draining' ? 'draining' : 'closed'}`);
    }
  };

  const host = {
    coreChannel: <T>(name: string, opts: ChannelOptions) => client.channel<T>(name, opts),
    // client.publish is wrapped by PublishHolds (core's channels publish through it too).
    publish: (name: string, data: unknown, opts?: PublishOptions) => client.publish(name, data, opts),
    checkpoint,
    flow,
    keepAlive,
    clock,
    assertOpen,
    track<T>(promise: Promise<T>): Promise<T> {
      // Held from the call on: before core sees it, the channel may still be loading its checkpoint.
      const held = publishes.hold(promise, failedByNodeClose);
      // The drain waits on a copy that only settles, made from `promise` (after hold's own
      // reaction, so a close's failure is counted first), never from `held`: a reaction on
      // `held` marked the caller's promise handled, and a `void publish()` refused
      // (OUTBOX_FULL, FORBIDDEN, OUTBOX_EXPIRED) vanished without the unhandled rejection
      // core's publish gives.
      const settled: Promise<unknown> = promise.then(
        () => void pending.delete(settled),
        () => void pending.delete(settled),
      );
      pending.add(settled);
      return held;
    },
    register: (it: MessageIterator<any>) => {
      iterators.add(it);
      if (gaveUp) it.fail(gaveUp);
    },
    unregister: (it: MessageIterator<any>) => iterators.delete(it),
  };

  const node: NodeClient = {
    core: client,
    get state() {
      return client.state;
    },
    get clientId() {
      return client.clientId;
    },
    transport: {
      get socket() {
        return flow.current;
      },
      get paused() {
        return flow.paused;
      },
      stats: flow.stats,
      get lastError() {
        return lastError;
      },
    },
    channel<T>(name: string, opts: Omit<ChannelOptions, 'since'> & { since?: Position | undefined } = {}) {
      let ch = channels.get(name) as NodeChannel<T> | undefined;
      if (!ch) {
        ch = new NodeChannel<T>(name, opts, host);
        channels.set(name, ch);
      } else {
        // A later call's options apply as core's channel() applies them, or are refused:
        // they were dropped, and a consumer asking to replay from `since` started at the head.
        ch.reuse(opts);
      }
      return ch;
    },
    drain(drainOptions: DrainOptions = {}) {
      // A second SIGTERM (or call) gets the drain already under way, or its result; not once
      // close() was called: a drain then close() then drain() resolved again, as if it had drained.
      if (draining && !closeCalled) return draining;
      // Bad options are refused before any step of the drain: the client stays usable.
      let resolved: ResolvedDrainOptions;
      try {
        resolved = resolveDrainOptions(drainOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      if (closedState === 'closed' || closeCalled) return Promise.reject(new LifelineNodeError('CLIENT_CLOSED', 'the client is closed'));
      closedState = 'draining';
      // Its deadline timer is unref'd: without this a drain waiting for an ack with the
      // server down ended with the process, before it returned.
      keepAlive.acquire();
      draining = drainClient({ client, iterators, pending, flow, clock, failedByClose: () => publishes.failedByClose }, resolved)
        .finally(() => {
          closedState = 'closed';
          keepAlive.releaseAll();
        })
        .then(async (result) => {
          // The checkpoint lock goes with the client (the next replica need not wait for this
          // process to exit). Not clean, a write may still be in flight: the store lets the
          // lock go once it is done, without holding up the drain's result.
          const released = endCheckpointUse();
          if (result.clean) await released;
          return result;
        });
      return draining;
    },
    async close() {
      closedState = 'closed';
      closeCalled = true;
      const running = [...iterators];
      // terminate() unsubscribes at once and does not wait for checkpoint writes, so the
      // socket closes even while a store hangs; the writes in flight are awaited last.
      await Promise.all(running.map((it) => it.terminate()));
      flow.reset();
      await client.close();
      keepAlive.releaseAll();
      await Promise.all(running.map((it) => it.flushed()));
      await endCheckpointUse();
    },
    connect: () => client.connect(),
    getSnapshot: () => client.getSnapshot(),
    subscribe: (listener) => client.subscribe(listener),
    on(event: string, listener: (...args: any[]) => void) {
      client.on(event as 'state', listener);
      return node;
    },
    off(event, listener) {
      client.off(event, listener);
      return node;
    },
    stats: () => client.stats(),
  };
  // Last: a client that failed to be created does not hold the store's lock.
  const endCheckpointUse = useCheckpointStore(checkpoint);
  return node;
}
