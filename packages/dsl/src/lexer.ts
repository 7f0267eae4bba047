// The lexer: text in, tokens and comments out, plus diagnostics for what it could not read.
// Keywords are soft: every keyword token is also in the `Name` category, so the parser
// accepts it where only a name can stand (after `.`, as an object key).

import { createToken, type IToken, Lexer, type TokenType } from 'chevrotain';
import type { Comment } from './ast.js';
import { type Diagnostic, diagnostic } from './diagnostics.js';

/** Any name: identifiers and keywords alike. */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, label: 'a name' });

/** A name that may stand for an input field: identifiers and the keywords that never start a condition or declaration. */
export const FieldName = createToken({ name: 'FieldName', pattern: Lexer.NA, label: 'a field name' });

/** Keywords that stay usable as input field names (`plan`, `version`, `tool`…). */
const SOFT_KEYWORDS = new Set([
  'version',
  'extern',
  'schema',
  'on',
  'because',
  'with',
  'fallback',
  'cascade',
  'until',
  'try',
  'else',
  'split',
  'by',
  'fastest',
  'cheapest',
  'best',
  'deny',
  'per',
  'given',
  'expect',
  'plan',
  'provider',
  'rollout',
  'shadow',
]);

export const Identifier = createToken({
  name: 'Identifier',
  // Hyphens are allowed inside names (`gpt-mini`), but not the one that starts `->`.
  pattern: /[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*/,
  categories: [Name, FieldName],
  label: 'a name',
});

function keyword(word: string): TokenType {
  return createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: SOFT_KEYWORDS.has(word) ? [Name, FieldName] : [Name],
    label: `\`${word}\``,
  });
}

export const Kw = {
  policy: keyword('policy'),
  version: keyword('version'),
  import: keyword('import'),
  enum: keyword('enum'),
  input: keyword('input'),
  from: keyword('from'),
  model: keyword('model'),
  provider: keyword('provider'),
  tool: keyword('tool'),
  validator: keyword('validator'),
  extern: keyword('extern'),
  schema: keyword('schema'),
  classifier: keyword('classifier'),
  on: keyword('on'),
  route: keyword('route'),
  when: keyword('when'),
  otherwise: keyword('otherwise'),
  because: keyword('because'),
  with: keyword('with'),
  fallback: keyword('fallback'),
  cascade: keyword('cascade'),
  until: keyword('until'),
  try: keyword('try'),
  else: keyword('else'),
  split: keyword('split'),
  rollout: keyword('rollout'),
  shadow: keyword('shadow'),
  by: keyword('by'),
  fastest: keyword('fastest'),
  cheapest: keyword('cheapest'),
  best: keyword('best'),
  deny: keyword('deny'),
  assert: keyword('assert'),
  budget: keyword('budget'),
  per: keyword('per'),
  test: keyword('test'),
  given: keyword('given'),
  expect: keyword('expect'),
  plan: keyword('plan'),
  and: keyword('and'),
  or: keyword('or'),
  not: keyword('not'),
  implies: keyword('implies'),
  in: keyword('in'),
  contains: keyword('contains'),
  true: keyword('true'),
  false: keyword('false'),
} as const;

/** The words that start a top-level declaration (used to resynchronise after errors). */
export const DECLARATION_KEYWORDS: ReadonlySet<string> = new Set([
  'policy',
  'import',
  'enum',
  'input',
  'model',
  'provider',
  'tool',
  'validator',
  'classifier',
  'route',
  'assert',
  'budget',
  'test',
]);

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string' });
const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n\r]|\\.)*/ });
export const MoneyLiteral = createToken({ name: 'MoneyLiteral', pattern: /\$[0-9]+(?:\.[0-9]+)?(?:[A-Za-z_][A-Za-z0-9_]*)?/, label: 'an amount of money' });
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /[0-9]+(?:\.[0-9]+)?(?:%|[A-Za-z_][A-Za-z0-9_]*)?/, label: 'a number' });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: '`->`' });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/, label: '`==`' });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/, label: '`!=`' });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/, label: '`<=`' });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/, label: '`>=`' });
export const Lt = createToken({ name: 'Lt', pattern: /</, label: '`<`' });
export const Gt = createToken({ name: 'Gt', pattern: />/, label: '`>`' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '`=`' });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: '`{`' });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: '`}`' });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: '`[`' });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: '`]`' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: '`(`' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: '`)`' });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: '`,`' });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: '`:`' });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: '`.`' });

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'comments', line_breaks: true });

/** Every token type, in matching order. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  UnterminatedString,
  MoneyLiteral,
  NumberLiteral,
  Arrow,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Equals,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Colon,
  Dot,
  ...Object.values(Kw),
  Identifier,
  Name,
  FieldName,
];

const routelangLexer = new Lexer(ALL_TOKENS, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: true,
  skipValidations: true,
});

/** The lexer's output. */
export interface LexResult {
  readonly tokens: IToken[];
  readonly comments: Comment[];
  readonly diagnostics: Diagnostic[];
}

/** Splits `text` into tokens. Never throws; unreadable characters become RL1002 diagnostics. */
export function lex(text: string, file: string): LexResult {
  const result = routelangLexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  // Consecutive unexpected characters are reported once, as one span.
  for (const error of result.errors) {
    const start = error.offset;
    const end = start + Math.max(1, error.length);
    const shown = text.slice(start, Math.min(end, start + 20));
    diagnostics.push(
      diagnostic('RL1002', file, { start, end }, `unexpected character${error.length > 1 ? 's' : ''} \`${shown}\``, {
        help: 'remove it, or put text inside a "string" or a // comment',
      }),
    );
  }
  const tokens: IToken[] = [];
  for (const token of result.tokens) {
    if (token.tokenType === UnterminatedString) {
      diagnostics.push(diagnostic('RL1003', file, spanOf(token), 'this string is not closed', { help: 'add a closing `"` before the end of the line' }));
      // The parser goes on as if the string were closed, so the rest of the line still parses.
      token.tokenType = StringLiteral;
      token.tokenTypeIdx = StringLiteral.tokenTypeIdx as number;
    }
    tokens.push(token);
  }
  const comments: Comment[] = [];
  for (const token of (result.groups.comments ?? []) as IToken[]) {
    if (token.tokenType === UnterminatedComment) {
      diagnostics.push(
        diagnostic('RL1004', file, { start: token.startOffset, end: token.startOffset + 2 }, 'this comment is not closed', {
          help: 'close the comment with `*/`',
        }),
      );
    }
    comments.push({ text: token.image, span: spanOf(token), block: token.tokenType !== LineComment });
  }
  return { tokens, comments, diagnostics };
}

/** The last lexing of each recently lexed file, for `lexAgain`. */
const previous = new Map<string, { readonly text: string; readonly result: LexResult }>();
const REMEMBERED_FILES = 16;

/**
 * `lex(text, file)`, re-using the last lexing of `file` where the text did not change: an
 * editor re-checks a file on every keystroke, and lexing a 2,000-line policy from scratch is a
 * third of that check. The lines an edit touched are lexed again and spliced between the
 * tokens before them and the tokens after them (moved by the edit's length). The result is the
 * same as `lex(text, file)` (test/incremental-lex.test.ts); whenever splicing could differ — a
 * block comment near the edit, a lexical error anywhere — the whole text is lexed.
 */
export function lexAgain(text: string, file: string): LexResult {
  const before = previous.get(file);
  const result = (before && splice(before.text, before.result, text, file)) ?? lex(text, file);
  previous.delete(file);
  previous.set(file, { text, result });
  if (previous.size > REMEMBERED_FILES) previous.delete(previous.keys().next().value as string);
  return result;
}

function splice(oldText: string, old: LexResult, text: string, file: string): LexResult | undefined {
  if (oldText === text) return old;
  if (old.diagnostics.length > 0) return undefined;
  // The changed part: old [prefix, oldText.length - suffix), new [prefix, text.length - suffix).
  const shortest = Math.min(oldText.length, text.length);
  let prefix = 0;
  while (prefix < shortest && oldText.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shortest - prefix && oldText.charCodeAt(oldText.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
  // Widened to whole lines: no token but a block comment spans a line break.
  const start = prefix === 0 ? 0 : text.lastIndexOf('\n', prefix - 1) + 1;
  const lineEnd = (t: string, at: number): number => {
    const i = t.indexOf('\n', at);
    return i < 0 ? t.length : i;
  };
  const oldEnd = lineEnd(oldText, oldText.length - suffix);
  const end = lineEnd(text, text.length - suffix);
  const oldPart = oldText.slice(start, oldEnd);
  const part = text.slice(start, end);
  if (oldPart.includes('/*') || oldPart.includes('*/') || part.includes('/*') || part.includes('*/')) return undefined;
  if (old.comments.some((c) => c.block && c.span.start < oldEnd && c.span.end > start)) return undefined;
  const fresh = lex(part, file);
  if (fresh.diagnostics.length > 0) return undefined;
  const delta = text.length - oldText.length;
  const first = firstAtOrAfter(old.tokens, start);
  const after = firstAtOrAfter(old.tokens, oldEnd);
  const tokens = old.tokens.slice(0, first);
  for (const t of fresh.tokens) tokens.push(shifted(t, start));
  // The tokens after the edit are moved in place: the previous result is discarded here (it is
  // private to `parse`, which keeps no token), and copying tens of thousands of tokens per
  // keystroke was a third of the garbage of an edit that changes the text's length.
  for (let i = after; i < old.tokens.length; i++) {
    const token = old.tokens[i] as IToken;
    if (delta !== 0) {
      token.startOffset += delta;
      if (token.endOffset !== undefined) token.endOffset += delta;
    }
    tokens.push(token);
  }
  const comments: Comment[] = old.comments.filter((c) => c.span.end <= start);
  for (const c of fresh.comments) comments.push({ ...c, span: { start: c.span.start + start, end: c.span.end + start } });
  for (const c of old.comments)
    if (c.span.start >= oldEnd) comments.push(delta === 0 ? c : { ...c, span: { start: c.span.start + delta, end: c.span.end + delta } });
  return { tokens, comments, diagnostics: [] };
}

/** A copy of `token` (lexed from the edited lines alone) moved by `delta` characters. */
function shifted(token: IToken, delta: number): IToken {
  const out = { ...token };
  out.startOffset = token.startOffset + delta;
  if (token.endOffset !== undefined) out.endOffset = token.endOffset + delta;
  return out;
}

/** The index of the first token starting at or after `offset` (tokens are in order). */
function firstAtOrAfter(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tokens[mid] as IToken).startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The half-open span of a token. */
export function spanOf(token: IToken): { start: number; end: number } {
  const start = token.startOffset;
  return { start, end: start + token.image.length };
}

/** A token as tools outside the compiler see it: `kind` is the token type (`Identifier`, `Kw_when`, `Arrow`, `NumberLiteral`…). */
export interface PlainToken {
  readonly kind: string;
  readonly image: string;
  readonly start: number;
  readonly end: number;
}

/** The tokens of `text` without comments; never throws (unreadable characters are skipped). */
export function tokenize(text: string): PlainToken[] {
  return routelangLexer
    .tokenize(text)
    .tokens.map((t) => ({ kind: t.tokenType.name, image: t.image, start: t.startOffset, end: t.startOffset + t.image.length }));
}
