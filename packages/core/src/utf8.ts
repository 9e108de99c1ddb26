/**
 * UTF-8 byte length of `s`, without allocating (the frame-size check runs per publish).
 * Each half of a surrogate pair counts 2 bytes (4 a pair): `s` is JSON.stringify output,
 * where a lone surrogate is escaped, so no half is ever alone.
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 0xd800-0xdfff (surrogates) is the block c >> 11 === 27.
    if (c > 0x7f) n += c < 0x800 || c >> 11 === 27 ? 1 : 2;
  }
  return n;
}

