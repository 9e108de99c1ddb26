import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Length } from '../src/utf8';

// The publish size check measures JSON.stringify output with utf8Length: it must be the
// exact UTF-8 size of what is sent, lone surrogates (escaped by JSON.stringify) included.
describe('utf8Length', () => {
  it('equals the UTF-8 byte length of any JSON.stringify output', () => {
    const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((cs) => String.fromCharCode(...cs));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), anyUnits, fc.jsonValue()), (v) => {
        const s = JSON.stringify(v);
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts 1, 2, 3 and 4-byte characters', () => {
    for (const s of ['a', 'é', '€', '😀', 'a😀é€']) expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});
