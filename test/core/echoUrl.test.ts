// A client pointed at the reference server's /echo endpoint (a url missing its /v1, or the
// echo one copied by mistake) gets its own `hello` back. It retried on handshake timeouts for
// ever with nothing but `handshake-timeout` in its state events; it now says BAD_FRAME,
// naming the likely cause, for each attempt.
import type { LifelineError } from '@lifeline/core';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

describe('a client whose url is an echo endpoint', () => {
  it('says BAD_FRAME naming the echoed hello, instead of timing out in silence', async () => {
    const server = await t.start();
    const client = t.client(`${server.url}/echo`);
    const errors: LifelineError[] = [];
    client.on('error', (e) => errors.push(e));
    await waitFor(() => errors.length > 0, 'an error event');
    expect(errors.map((e) => [e.code, e.message])).toEqual([['BAD_FRAME', 'bad frame from server: hello (url echoes: /echo?)']]);
    // Still trying (the endpoint may be fixed behind the same url), not open.
    expect(client.getSnapshot().state).toBe('connecting');
  });

  it('the same client on /v1 gets no such error', async () => {
    const server = await t.start();
    const client = t.client(`${server.url}/v1`);
    const errors: LifelineError[] = [];
    client.on('error', (e) => errors.push(e));
    await waitFor(() => client.getSnapshot().state === 'open', 'the client to open');
    expect(errors).toEqual([]);
  });
});
