// ioredis reads a URL's database (`/db`, else `?db=`) with parseInt and never complains:
// `redis://h/abc` became SELECT NaN, which it re-sent ahead of every command (NaN !== NaN)
// and Redis refused, and the rejection nobody awaited crashed the process; `/1.5` or
// `/2x` silently used database 1 or 2. Both the CLI and redisBroker() check it first.

/**
 * The database a parsed redis URL names, as written, where ioredis reads it: the path
 * (`redis://h:6379/2`), else `?db=`; `undefined` when it names none (database 0).
 */
export function redisDbText(parsed: URL): string | undefined {
  const path = parsed.pathname;
  if (path !== '' && path !== '/') return path.slice(1);
  return parsed.searchParams.get('db') ?? undefined;
}

/**
 * Why the database `url` names cannot be used, or `undefined` when it can: none, or a
 * whole number (`redis://h:6379/2`, `?db=2`). A URL that does not parse is not judged here.
 */
export function redisDbProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!/^rediss?:$/i.test(parsed.protocol)) return undefined;
  const db = redisDbText(parsed);
  if (db === undefined || /^\d+$/.test(db)) return undefined;
  const fromPath = parsed.pathname !== '' && parsed.pathname !== '/';
  return fromPath
    ? `names database "${db}"; the database is a whole number after the host: redis://host:6379/2`
    : `names database "${db}" (?db=); the database is a whole number: redis://host:6379/2`;
}
