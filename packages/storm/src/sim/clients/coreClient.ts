import * as core from '@lifeline/core';
import type { ClientOptions, GapEvent, LifelineClient, LifelineError, Message, StateChange } from '@lifeline/core';
import { StormError } from '../../errors';
import type { SimClient, SimClientFactory } from './types';

/** Codes with which core stops for good: no reconnect follows (BAD_ARGUMENT: a url the WebSocket refuses). */
const FINAL = new Set(['AUTH_FAILED', 'CONNECTION_REFUSED', 'BAD_ARGUMENT']);

type CreateClient = (options: ClientOptions) => LifelineClient;

/** `createClient` of @lifeline/core, or null while core does not provide it yet. */
export function findCreateClient(): CreateClient | null {
  const fn = (core as unknown as { createClient?: unknown }).createClient;
  return typeof fn === 'function' ? (fn as CreateClient) : null;
}

/** Runs the real @lifeline/core client in the fleet. */
export const coreClientFactory: SimClientFactory = (spec) => {
  const createClient = findCreateClient();
  if (!createClient) throw new StormError('DEPENDENCY_MISSING', '@lifeline/core does not export createClient yet: use client "lite"');
  // Kept: core reads `url` from the options object at each attempt.
  const options: ClientOptions = {
    url: spec.url,
    clientId: `storm-${spec.index}`,
    reconnect: { jitter: spec.strategy, initialDelayMs: spec.initialDelayMs, maxDelayMs: spec.maxDelayMs },
    WebSocket: spec.WebSocket as ClientOptions['WebSocket'],
    random: spec.random,
    // Static: at its exp the server closes 4101 and core, which cannot renew it, stops.
    ...(spec.token !== undefined ? { token: spec.token } : {}),
  };
  const client = createClient(options);
  client.on('state', (e: StateChange) => {
    if (e.to === 'open') spec.hooks.onOpen();
    else if (e.from === 'open') spec.hooks.onDrop();
  });
  // Listened to so core does not print each one (a stack trace per client per error):
  // the shard counts them by code for the run's notes.
  client.on('error', (e: LifelineError) => spec.hooks.onError?.(e.code, e.message, FINAL.has(e.code)));
  const channels = spec.channels.map((name, i) => {
    const ch = client.channel(name);
    ch.subscribe((msg: Message) => {
      const seq = (msg.data as { s?: unknown } | null)?.s;
      if (typeof seq === 'number') spec.hooks.onMessage(i, seq);
    });
    ch.on('gap', (g: GapEvent) => spec.hooks.onGap(i, { from: g.from, to: g.to }));
    return ch;
  });
  const sim: SimClient = {
    isReady: () => client.state === 'open' && channels.every((c) => c.getSnapshot().state === 'subscribed'),
    setUrl: (url) => {
      options.url = url;
    },
    close: () => client.close(),
  };
  return sim;
};
