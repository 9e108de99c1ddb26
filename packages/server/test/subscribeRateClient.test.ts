// The reference client against the subscribe rate limit (PROTOCOL.md §11): a `sub` refused
// RATE_LIMITED is sent again after its retryAfterMs, and the channel ends up subscribed.
// Real sockets on port 0; both sides on one manual clock, so no token comes back unasked.
import { describe, expect, it } from 'vitest';
import { createClient, type LifelineError } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer } from '../src/index';
import { SUBSCRIBE_PER_SEC } from '../src/session/subscribeRate';
import { closedAfterEach, spendSubscribeBurst, T0 } from './helpers/coreClients';
import { waitFor } from './helpers/waitFor';

const { cores, servers } = closedAfterEach();

describe('subscribe rate limit, core client against the server', () => {
  it('a client that spent its burst is refused, subscribes again after the hint, and gets the channel', async () => {
    const clock = createManualClock(T0);
    const maxChannels = 100;
    const server = await createServer({ port: 0, clock, heartbeatMs: 3_600_000, maxChannels });
    servers.push(server);
    const client = createClient({ url: `${server.url}/v1`, clock, lifecycle: false });
    cores.push(client);
    const errors: LifelineError[] = [];
    client.on('error', (e) => void errors.push(e));
    client.connect();
    await waitFor(() => client.state === 'open', 'open');
    await spendSubscribeBurst(client, maxChannels);
    expect(errors).toEqual([]);

    client.channel('extra').subscribe(() => {});
    await waitFor(() => errors.length === 1, 'the refusal');
    expect(errors[0]).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'RATE_LIMITED', channel: 'extra', retryAfterMs: 1000 / SUBSCRIBE_PER_SEC });
    expect(client.channel('extra').getSnapshot().state).not.toBe('subscribed');
    clock.advance(1000 / SUBSCRIBE_PER_SEC);
    await waitFor(() => client.channel('extra').getSnapshot().state === 'subscribed', 'subscribed after the hint');
    expect(errors).toHaveLength(1);
    expect(client.state).toBe('open');
  });
});
