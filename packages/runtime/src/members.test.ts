// MemberIndex (enum members and graph literals by a perfect hash, or a Map when no small
// table separates them): for random lists of every size, the position of each member, and -1
// for near misses (a letter changed, dropped or added; another case; the empty string),
// for other strings and for values that are not strings — as Array.prototype.indexOf says.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashSlot, MemberIndex, perfectHash } from './members.js';

const word = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,11}$/);

describe('MemberIndex', () => {
  it('agrees with indexOf on members, near misses and other values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 300 }), fc.array(fc.oneof(word, fc.anything()), { maxLength: 30 }), (members, others) => {
        const index = new MemberIndex(members);
        const near = members.flatMap((m) => [m.slice(0, -1), `${m}x`, `${m.slice(0, -1)}${m.endsWith('a') ? 'b' : 'a'}`, m.toUpperCase(), `x${m}`, '']);
        for (const value of [...members, ...near, ...others, 0, null, undefined, true, ['a']])
          expect(index.indexOf(value)).toBe(members.indexOf(value as string));
      }),
      { numRuns: 300 },
    );
  });

  it('puts every member of a perfect hash in its own slot, and finds one for typical enums', () => {
    for (const members of [['chat', 'summarize', 'reason', 'code', 'extract'], ['low', 'medium', 'high'], ['us', 'eu'], ['a'], ['', 'x', 'xy']]) {
      const hash = perfectHash(members);
      expect(hash).toBeDefined();
      const h = hash as NonNullable<typeof hash>;
      for (const m of members) expect(h.table[hashSlot(m, h.p, h.m, h.mask)]).toBe(m);
      expect(h.table.filter((x) => x !== null)).toHaveLength(members.length);
    }
    expect(perfectHash(['a', 'a'])).toBeUndefined();
    expect(perfectHash(Array.from({ length: 257 }, (_, i) => `m${i}`))).toBeUndefined();
  });
});
