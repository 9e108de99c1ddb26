// Unknown option keys are refused by createServer, memoryBroker and redisBroker alike (the
// CLI refuses unknown flags): a mistyped key kept its default without a word, and the
// library logs nothing by default, so `authSecert` ran an OPEN server and `keyprefix`
// shared the default `lifeline:` keys with every other app on the Redis database.

/** Suggests a `known` name for `key`: the same in another case, or at most `maxEdits` edits (insert, delete, replace, swap) away. */
export function closestKey(key: string, known: readonly string[], maxEdits = 2): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestDistance = maxEdits + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase(), bestDistance);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent swaps: `retnetion` is 1
 * from `retention`), or `cap` when it is `cap` or more.
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j += 1) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return Math.min(rows[a.length]![b.length]!, cap);
}

/**
 * Throws a TypeError `<owner>: unknown option "<key>" (did you mean <known>?); its options: …`
 * (then `hint`, when given) for the first own key of `options` not in `known`. A key given
 * as `undefined` is refused too: it is still a misspelt name.
 */
export function checkKnownKeys(owner: string, options: object, known: readonly string[], hint?: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const like = closestKey(key, known);
    throw new TypeError(
      `${owner}: unknown option ${JSON.stringify(key)}${like !== undefined ? ` (did you mean ${like}?)` : ''}; its options: ${known.join(', ')}${hint !== undefined ? `. ${hint}` : ''}`,
    );
  }
}
