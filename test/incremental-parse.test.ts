// Parsing with re-use (the default: edited lines re-lexed, route rules parsed before taken
// from a cache) against parsing from scratch (`{ reuse: false }`): after every edit of random
// edit sequences on generated policies, the tree and the diagnostics are the same.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../bench/policy-generator.js';
import { parse } from '../packages/dsl/src/parser.js';
import { generatePolicy } from './support/generate.js';

const FRAGMENTS = [
  'x',
  'when ',
  ' -> ',
  'otherwise -> m0',
  '"',
  '"abc"',
  '/* c */',
  '// note',
  '\n',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '8k',
  '$1.5',
  '@',
  ' and ',
  ' or ',
  'route ',
  '==',
  '< 9',
];
const arbEdit = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.nat({ max: 12 }),
  insert: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 3 }),
});

function apply(text: string, e: { at: number; remove: number; insert: string[] }): string {
  const at = Math.floor(e.at * text.length);
  return text.slice(0, at) + e.insert.join('') + text.slice(at + e.remove);
}

describe('parse with re-use', () => {
  it('equals parsing from scratch after every edit of random edit sequences on generated policies', () => {
    let file = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(arbEdit, { minLength: 1, maxLength: 8 }), (seed, edits) => {
        const name = `/virtual/reparse-${file++}.route`;
        let text = generatePolicy(seed, { maxRules: 12 }).text;
        expect(parse(text, name)).toEqual(parse(text, name, { reuse: false }));
        for (const e of edits) {
          text = apply(text, e);
          expect(parse(text, name)).toEqual(parse(text, name, { reuse: false }));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a rule the parser repairs (a missing `->`, a stray token) is parsed as part of its route, with its diagnostics', () => {
    const name = '/virtual/reparse-repair.route';
    const base =
      'policy p\nmodel m { provider = "p" id = "m" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }\ninput { prompt: text  n: number = 0 }\nroute {\n  when n > 1 -> m\n  otherwise -> m\n}\n';
    parse(base, name);
    for (const broken of [
      base.replace('n > 1 -> m', 'n > 1 m'),
      base.replace('n > 1 -> m', 'n > 1 -> -> m'),
      base.replace('n > 1', 'n > > 1'),
      base.replace('n > 1', 'n > 1q'),
    ]) {
      // Twice: the second parse finds everything it can re-use from the first.
      for (const reused of [parse(broken, name), parse(broken, name)]) {
        expect(reused.diagnostics.length).toBeGreaterThan(0);
        expect(reused).toEqual(parse(broken, name, { reuse: false }));
      }
    }
  });

  it('re-parses a 2,000-line policy after a one-character edit to the same tree as from scratch', () => {
    const name = '/virtual/reparse-large.route';
    let text = generateLargePolicy(2_000);
    parse(text, name);
    for (const digit of ['9', '3', '7']) {
      const at = text.indexOf(' < ', text.length / 2) + 3;
      text = `${text.slice(0, at)}${digit}${text.slice(at + 1)}`;
      expect(parse(text, name)).toEqual(parse(text, name, { reuse: false }));
    }
    // An insertion moves every later rule: their trees come from the cache, moved.
    text = text.replace('route {', 'route {\n  when pii -> m0');
    expect(parse(text, name)).toEqual(parse(text, name, { reuse: false }));
  });
});
