/**
 * A target as storm prints it (notes, JSON, HTML, errors): a `user:password@` in it is
 * shown as `***@`. Storm sends no credentials from the URL, and reports are shared.
 */
export function redactTarget(target: string): string {
  // Up to the LAST `@` before the path, as URL parsers read it: a password holding an `@`
  // (`bob:s3cr@tPW@host`) kept its tail in view when cut at the first one.
  return target.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\\]*@/i, '$1***@');
}

/**
 * What a scenario run does not use of `target`, said plainly, or null when it uses all
 * of it: the run only takes host and port (its clients connect to `/v1`, its publisher
 * posts to `/v1/publish`), so a path, query or fragment, or a `user:password@`, used to be
 * ignored in silence (and the credentials echoed in the notes).
 */
export function unusedTargetNote(target: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return null;
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return null; // refused with the endpoint's own words elsewhere
  }
  const parts: string[] = [];
  const path = `${u.pathname}${u.search}${u.hash}`;
  if (path !== '/' && path !== '') parts.push(`the path "${path}"`);
  if (u.username !== '' || u.password !== '') parts.push('the user:password (storm sends no credentials from the URL: a server with a secret takes --token)');
  if (parts.length === 0) return null;
  const ws = `ws://${u.host}`;
  const http = `http://${u.host}`;
  return `--target ${redactTarget(target)}: ${parts.join(' and ')} ${parts.length > 1 ? 'are' : 'is'} not used: a run takes the host and port only (its clients connect to ${ws}/v1, its publisher posts to ${http}/v1/publish)`;
}
