// The editor's incremental lexing (`lexAgain`) against lexing from scratch: after every edit
// of a random sequence — insertions and deletions anywhere, of text that opens and closes
// strings and block comments, adds line breaks or characters the lexer rejects — the tokens
// (type, text, offsets), the comments and the diagnostics are exactly those of `lex`.

import { describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../bench/policy-generator.js';
import { lex, lexAgain } from '../packages/dsl/src/lexer.js';
import { checkEverySession } from './support/edits.js';

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
describe('lexAgain', () => {
  it('equals lex after every edit of random edit sequences on generated policies', () => {
    checkEverySession(FRAGMENTS, (text, file) => expect(view(lexAgain(text, file))).toEqual(view(lex(text, file))));
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
