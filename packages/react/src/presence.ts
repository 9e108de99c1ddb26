import type { LifelineClient } from '@lifeline/core';
import { acquireChannel } from './channelLeases';
import { hold, type Holds } from './refCount';

// Keyed by channel object, so per client; entries exist only while held.
const presences: Holds<[info: unknown, json: string][] & { json?: string }> = new Map();

// Catching keeps enter/leave rejections from becoming unhandled: a CLIENT_CLOSED during
// teardown is expected. Core reports a refused enter on the channel's and the client's
// `error` event.
export const ignore = () => {};

/**
 * Enters presence on channel `name` with `info`, reference-counted like
 * subscriptions: the last release leaves after `releaseDelayMs` (then releases
 * the subscription presence needs), so StrictMode's remount sends no
 * leave/enter. A changed `info` is sent as a new enter (an update). `json` is
 * `JSON.stringify(info)`, which the caller checked did not throw.
 */
export function acquirePresence(
  client: LifelineClient,
  name: string,
  info: unknown,
  json: string | undefined,
  releaseDelayMs: number,
): () => void {
  const channel = client.channel(name);
  // The holders' info, oldest first, and what was last sent (`json`).
  const [held, release] = hold(
    presences,
    channel,
    () => {
      // A subscription of its own (a key no channel name has: names have no space): shared
      // with useChannel's, its handler took the messages while a component on that channel
      // remounted, and they were lost to it.
      const releaseChannel = acquireChannel(client, name, undefined, ignore, releaseDelayMs, ' presence');
      const stop = () => {
        channel.presence.leave().catch(ignore);
        releaseChannel();
      };
      return [stop, [] as [info: unknown, json: string][] & { json?: string }];
    },
    releaseDelayMs,
  );
  // The entry shows the info of the most recent holder: an acquire sends its own.
  const send = () => {
    const [info, json] = held.at(-1)!;
    if (held.json == json) return;
    held.json = json;
    // Refused for good (or the client closed): not entered, so the next acquire enters again.
    channel.presence.enter(info).catch(() => (held.json = undefined));
  };
  // '' for no info (undefined), which no JSON text is: it still enters once.
  const holder: [unknown, string] = [info, json ?? ''];
  held.push(holder);
  send();
  return () => {
    held.splice(held.indexOf(holder), 1);
    release();
    // The holder leaving may be the one shown: the most recent remaining one is, once the
    // commit is done (an info change releases, then acquires with the new info).
    queueMicrotask(() => held[0] && send());
  };
}
