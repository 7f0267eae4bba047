// Parsing with re-use (the default: edited lines re-lexed, route rules parsed before taken
// from a cache) against parsing from scratch (`{ reuse: false }`): after every edit of random
// edit sequences on generated policies, the tree and the diagnostics are the same.

import { describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../bench/policy-generator.js';
import { parse } from '../packages/dsl/src/parser.js';
import { checkEverySession } from './support/edits.js';

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
describe('parse with re-use', () => {
  it('equals parsing from scratch after every edit of random edit sequences on generated policies', () => {
    checkEverySession(FRAGMENTS, (text, file) => expect(parse(text, file)).toEqual(parse(text, file, { reuse: false })), { maxRules: 12 });
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
