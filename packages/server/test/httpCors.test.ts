// CORS on the HTTP API (PROTOCOL.md §9.2): a page on an origin listed in allowedOrigins may
// read history (and publish) with fetch(); other origins get no CORS headers, so their
// pages cannot read the answers; probes are unchanged. Before, no route sent CORS headers
// and a browser app on another origin could not read `GET /v1/history` at all.
import { describe, expect, it } from 'vitest';
import { signToken, type LifelineServer } from '../src/index';
import { useServer } from './helpers/serverFixture';

const SECRET = 'cors-secret-cors-secret-cors-secret!';
const APP = 'https://app.example';
const EVIL = 'https://evil.example';
const { start } = useServer();

const token = (claims: Record<string, unknown> = {}) =>
  signToken({ sub: 'reader', exp: Math.floor(Date.now() / 1000) + 3600, ...claims }, SECRET);
const call = (server: LifelineServer, path: string, init: RequestInit = {}) => fetch(`${server.httpUrl}${path}`, init);
/** What a browser sends before a cross-origin request with an Authorization header. */
const preflight = (server: LifelineServer, path: string, origin: string, method: string, headers = 'authorization') =>
  call(server, path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
const corsHeaders = (res: Response) =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));
const listed = (res: Response, value: string) =>
  (res.headers.get(value) ?? '').split(',').map((s) => s.trim().toLowerCase());

describe('CORS on GET /v1/history, driven by allowedOrigins', () => {
  it('an allowed Origin is echoed (with Vary: Origin) on answers and on errors, so the page can read both', async () => {
    const server = await start({ authSecret: SECRET, allowedOrigins: [APP, 'https://other.example'] });
    const ok = await call(server, '/v1/history?channel=room', { headers: { origin: APP, authorization: `Bearer ${token()}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listed(ok, 'vary')).toContain('origin');
    expect(listed(ok, 'access-control-expose-headers')).toEqual(expect.arrayContaining(['retry-after', 'x-retry-after-ms', 'www-authenticate']));
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    await ok.json();
    // Errors too: the page learns why (a 401 and its challenge, a 403 for the channel).
    const noToken = await call(server, '/v1/history?channel=room', { headers: { origin: APP } });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('access-control-allow-origin')).toBe(APP);
    const forbidden = await call(server, '/v1/history?channel=room', {
      headers: { origin: 'https://other.example', authorization: `Bearer ${token({ subscribe: ['lobby'] })}` },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect((await forbidden.json()).code).toBe('FORBIDDEN');
  });

  it('a preflight from an allowed Origin is answered 204 with the methods and the Authorization header allowed', async () => {
    const server = await start({ authSecret: SECRET, allowedOrigins: [APP] });
    const res = await preflight(server, '/v1/history?channel=room', APP, 'GET');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listed(res, 'vary')).toContain('origin');
    expect(listed(res, 'access-control-allow-methods')).toEqual(expect.arrayContaining(['get', 'head']));
    expect(listed(res, 'access-control-allow-headers')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
    // The request the browser then sends goes through.
    const get = await call(server, '/v1/history?channel=room', { headers: { origin: APP, authorization: `Bearer ${token()}` } });
    expect([get.status, get.headers.get('access-control-allow-origin')]).toEqual([200, APP]);
  });

  it('POST /v1/publish: preflight and answer for an allowed Origin', async () => {
    const server = await start({ authSecret: SECRET, allowedOrigins: [APP] });
    const pre = await preflight(server, '/v1/publish', APP, 'POST', 'authorization, content-type');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    expect(listed(pre, 'access-control-allow-methods')).toContain('post');
    const res = await call(server, '/v1/publish', {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'room', data: 1, id: 'x1' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    await res.json();
  });

  it('an Origin not in the list gets no CORS headers: 403 for the request and for its preflight', async () => {
    const server = await start({ allowedOrigins: [APP] });
    const get = await call(server, '/v1/history?channel=room', { headers: { origin: EVIL } });
    expect(get.status).toBe(403);
    expect(corsHeaders(get)).toEqual({});
    await get.text();
    const pre = await preflight(server, '/v1/history?channel=room', EVIL, 'GET');
    expect(pre.status).toBe(403);
    expect(corsHeaders(pre)).toEqual({});
    await pre.text();
  });

  it('no CORS headers for a request without Origin (a backend), nor on a server without allowedOrigins', async () => {
    const listing = await start({ allowedOrigins: [APP] });
    const backend = await call(listing, '/v1/history?channel=room');
    expect(backend.status).toBe(200);
    expect(corsHeaders(backend)).toEqual({});
    await backend.json();
    // Any origin may connect here, but no page is let read answers it was not listed for.
    const open = await start();
    const page = await call(open, '/v1/history?channel=room', { headers: { origin: APP } });
    expect(page.status).toBe(200);
    expect(corsHeaders(page)).toEqual({});
    await page.json();
    const pre = await preflight(open, '/v1/history?channel=room', APP, 'GET');
    expect(pre.status).toBe(405);
    expect(corsHeaders(pre)).toEqual({});
    await pre.text();
  });

  it('probes are as they were: no CORS headers, OPTIONS 405', async () => {
    const server = await start({ allowedOrigins: [APP] });
    for (const path of ['/healthz', '/livez']) {
      const res = await call(server, path, { headers: { origin: APP } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual({});
      expect(res.headers.get('vary')).toBeNull();
      await res.json();
      const pre = await preflight(server, path, APP, 'GET');
      expect(pre.status).toBe(405);
      expect(corsHeaders(pre)).toEqual({});
      await pre.text();
    }
  });
});
