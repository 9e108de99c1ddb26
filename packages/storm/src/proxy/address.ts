import { StormError } from '../errors';
import { redactTarget } from './targetText';

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
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    // ftp://… was accepted (as a TCP address); storm speaks WebSocket and HTTP.
    const scheme = target.slice(0, target.indexOf(':')).toLowerCase();
    if (!['ws', 'wss', 'http', 'https'].includes(scheme)) {
      throw new StormError('BAD_OPTION', `target must be ws://, http:// or host:port, got "${redactTarget(target)}"`);
    }
    // URL refuses a port above 65535 as a whole: "not a URL" did not say which part was wrong.
    const typedPort = /^[a-z]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(target)?.[1];
    if (typedPort !== undefined && !portInRange(Number(typedPort))) throw badPort(typedPort, target);
    let u: URL;
    try {
      u = new URL(target);
    } catch (cause) {
      throw new StormError('BAD_OPTION', `not a URL: ${redactTarget(target)}`, { cause });
    }
    host = u.hostname;
    const fallback = u.protocol === 'wss:' || u.protocol === 'https:' ? 443 : 80;
    port = u.port ? Number(u.port) : fallback;
  } else {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) throw new StormError('BAD_OPTION', `expected host:port or a URL, got "${redactTarget(target)}"`);
    host = m[1]!;
    port = Number(m[2]);
  }
  host = host.replace(/^\[|\]$/g, '');
  if (!portInRange(port)) throw badPort(String(port), target);
  if (!isLoopbackHost(host)) {
    throw new StormError('NON_LOOPBACK', `refusing non-loopback target ${host}: storm traffic stays on 127.0.0.1 / ::1`);
  }
  return { host, port };
}

function portInRange(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function badPort(port: string, target: string): StormError {
  return new StormError('BAD_OPTION', `bad port ${port} in "${redactTarget(target)}": a port is 1 to 65535`);
}
