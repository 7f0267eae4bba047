// The editor's incremental lexing (`lexAgain`) against lexing from scratch: after every edit
// of a random sequence — insertions and deletions anywhere, of text that opens and closes
// strings and block comments, adds line breaks or characters the lexer rejects — the tokens
// (type, text, offsets), the comments and the diagnostics are exactly those of `lex`.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../bench/policy-generator.js';
import { lex, lexAgain } from '../packages/dsl/src/lexer.js';
import { generatePolicy } from './support/generate.js';

const view = (r: ReturnType<typeof lex>) => ({
  tokens: r.tokens.map((t) => [t.tokenType.name, t.image, t.startOffset, t.endOffset]),
  comments: r.comments,
  diagnostics: r.diagnostics.map((d) => [d.code, d.span.start, d.span.end, d.message]),
});

const FRAGMENTS = [
  'x',
  'when ',
  ' -> ',
  '"',
  '"abc"',
  '/*',
  '*/',
  '/* c */',
  '// note',
  '\n',
  '\n\n',
  '{',
  '}',
  '8k',
  '$1.5',
  '@',
  '§',
  'é',
  ' ',
  'route ',
  '==',
  '<',
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

describe('lexAgain', () => {
  it('equals lex after every edit of random edit sequences on generated policies', () => {
    let file = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(arbEdit, { minLength: 1, maxLength: 8 }), (seed, edits) => {
        const name = `/virtual/incremental-${file++}.route`;
        let text = generatePolicy(seed).text;
        lexAgain(text, name);
        for (const e of edits) {
          text = apply(text, e);
          expect(view(lexAgain(text, name))).toEqual(view(lex(text, name)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('splices a one-character edit of a 2,000-line policy into the previous tokens (only the edited line is lexed)', () => {
    const name = '/virtual/incremental-large.route';
    const text = generateLargePolicy(2_000);
    const first = lexAgain(text, name);
    const at = text.indexOf(' < ', text.length / 2) + 3;
    const edited = `${text.slice(0, at)}9${text.slice(at + 1)}`;
    const again = lexAgain(edited, name);
    expect(view(again)).toEqual(view(lex(edited, name)));
    // Tokens away from the edit are the previous lexing's own objects (a same-length edit moves nothing).
    expect(again.tokens[0]).toBe(first.tokens[0]);
    expect(again.tokens.at(-1)).toBe(first.tokens.at(-1));
  });
});
