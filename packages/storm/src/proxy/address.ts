import { StormError } from '../errors';

/** A TCP endpoint the proxy forwards to. */
export interface Endpoint {
  host: string;
  port: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts storm traffic may reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * Parses `ws://host:port/…`, `http://…` or `host:port` into an endpoint and refuses
 * anything that is not loopback, so a storm can never be aimed at a real service.
 */
export function parseEndpoint(target: string): Endpoint {
  let host: string;
  let port: number;
  if (/^[a-z]+:\/\//i.test(target)) {
    let u: URL;
    try {
      u = new URL(target);
    } catch (cause) {
      throw new StormError('BAD_OPTION', `not a URL: ${target}`, { cause });
    }
    host = u.hostname;
    const fallback = u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80;
    port = u.port ? Number(u.port) : fallback;
  } else {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) throw new StormError('BAD_OPTION', `expected host:port or a URL, got "${target}"`);
    host = m[1]!;
    port = Number(m[2]);
  }
  host = host.replace(/^\[|\]$/g, '');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new StormError('BAD_OPTION', `bad port in "${target}"`);
  }
  if (!isLoopbackHost(host)) {
    throw new StormError('NON_LOOPBACK', `refusing non-loopback target ${host}: storm traffic stays on 127.0.0.1 / ::1`);
  }
  return { host, port };
}
