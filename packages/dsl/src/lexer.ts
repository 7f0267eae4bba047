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
