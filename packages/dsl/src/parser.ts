// The parser: tokens in, an AST (`Module`) and syntax diagnostics out. It never throws.
// Recovery works at two levels: chevrotain's in-rule recovery (token insertion/deletion,
// re-sync to a rule's follow set), and declaration-level resynchronisation done here: the
// token stream is cut at each top-level declaration keyword, and each cut is parsed alone,
// so one broken block never swallows the declarations after it.

import { EmbeddedActionsParser, EOF, type IParserErrorMessageProvider, type IToken, type OrMethodOpts, type TokenType, tokenLabel } from 'chevrotain';
import type * as A from './ast.js';
import { closest } from './check/context.js';
import { type Diagnostic, diagnostic, type Fix } from './diagnostics.js';
import {
  ALL_TOKENS,
  Arrow,
  Colon,
  Comma,
  DECLARATION_KEYWORDS,
  Dot,
  EqEq,
  Equals,
  FieldName,
  Gt,
  GtEq,
  Identifier,
  Kw,
  LBrace,
  LBracket,
  LParen,
  Lt,
  LtEq,
  lex,
  lexAgain,
  MoneyLiteral,
  Name,
  NotEq,
  NumberLiteral,
  RBrace,
  RBracket,
  RParen,
  StringLiteral,
  spanOf,
} from './lexer.js';
import { decodeMoney, decodeNumber, decodeString, NUMBER_UNITS } from './literals.js';
import type { Span } from './source.js';

/** How a syntax error after a complete declaration ends (only a declaration keyword may follow). */
const AFTER_END = 'after the end of the declaration';

/** How deep brackets and `not` may nest before the parser refuses (RL1007). */
export const MAX_NESTING = 64;

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'the end of the file';
  const image = token.image.length > 24 ? `${token.image.slice(0, 24)}…` : token.image;
  return `\`${image}\``;
}

function labelOf(type: TokenType): string {
  return tokenLabel(type);
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === EOF) return `unexpected ${describeToken(actual)} ${AFTER_END}`;
    return `expected ${labelOf(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)} ${AFTER_END}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const found = actual[0] ? describeToken(actual[0]) : 'the end of the file';
    if (customUserDescription) return `expected ${customUserDescription}, found ${found}`;
    const firsts = new Set<string>();
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path[0]) firsts.add(labelOf(path[0]));
    return `expected ${[...firsts].slice(0, 6).join(', ')}, found ${found}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const found = actual[0] ? describeToken(actual[0]) : 'the end of the file';
    if (customUserDescription) return `expected ${customUserDescription}, found ${found}`;
    const firsts = new Set<string>();
    for (const path of expectedIterationPaths) if (path[0]) firsts.add(labelOf(path[0]));
    return `expected ${[...firsts].join(', ')}, found ${found}`;
  },
};

/** A hint per grammar rule, shown as `help` with syntax errors raised inside it. */
const RULE_HELP: Record<string, string> = {
  rule: 'a rule is `when CONDITION -> PLAN` or `otherwise -> PLAN`, optionally followed by `because "label"`',
  route: 'a route is `route [NAME] { when CONDITION -> PLAN … otherwise -> PLAN }`',
  plan: 'a plan is a model name, `M with {…}`, `P fallback Q`, `cascade [A, B] until V >= t`, `try T else P`, `split by FIELD {…}`, `rollout "NAME" by FIELD {…}`, `fastest [...]`, `cheapest [...]`, `best [...] by V`, or `deny "reason"`',
  planUnit:
    'a plan is a model name, `M with {…}`, `P fallback Q`, `cascade [A, B] until V >= t`, `try T else P`, `split by FIELD {…}`, `rollout "NAME" by FIELD {…}`, `fastest [...]`, `cheapest [...]`, `best [...] by V`, or `deny "reason"`',
  inputBlock: 'an input field is `NAME: TYPE [= DEFAULT] [from CLASSIFIER]`',
  field: 'an input field is `NAME: TYPE [= DEFAULT] [from CLASSIFIER]`',
  modelDecl: 'a model property is `key = value`, e.g. `context = 128k`',
  property: 'a property is `key = value`',
  objectLit: 'an object is `{ key: value, … }`',
  validatorDecl: 'a validator is `validator NAME = extern "host_fn"`, `schema "file.json"`, `json` or `not_empty`',
  classifierDecl: 'a classifier is `classifier NAME on FIELD { label: ["example", …] … default: label }`',
  budgetDecl: 'a budget is `budget { per_request <= $5  per_tenant <= $200 per day }`',
  testDecl: 'a test is `test "name" { given { field: value, … } expect MODEL }`',
  primary: 'a condition compares fields with values, e.g. `risk == high` or `prompt.tokens < 8k`',
  expression: 'a condition compares fields with values, e.g. `risk == high` or `prompt.tokens < 8k`',
};

class RouteParser extends EmbeddedActionsParser {
  private file = '';
  private fallbackOffset = 0;
  /** The declaration of the current chunk, kept even when trailing garbage fails the chunk rule. */
  lastDeclaration: A.Declaration | undefined;
  readonly literalDiagnostics: Diagnostic[] = [];

  constructor() {
    super(ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messages, skipValidations: false });
    this.performSelfAnalysis();
  }

  /** Points the parser at one declaration's tokens. */
  load(tokens: IToken[], file: string, endOffset: number): void {
    this.input = tokens;
    this.lastDeclaration = undefined;
    this.file = file;
    this.fallbackOffset = endOffset;
  }

  /** Alternatives built once: an OR literal would allocate its closures on every call. */
  private readonly declarationAlts: OrMethodOpts<A.Declaration | undefined> = {
    DEF: [
      { ALT: () => this.SUBRULE(this.policyHeader) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.enumDecl) },
      { ALT: () => this.SUBRULE(this.inputBlock) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.providerDecl) },
      { ALT: () => this.SUBRULE(this.toolDecl) },
      { ALT: () => this.SUBRULE(this.validatorDecl) },
      { ALT: () => this.SUBRULE(this.classifierDecl) },
      { ALT: () => this.SUBRULE(this.route) },
      { ALT: () => this.SUBRULE(this.assertDecl) },
      { ALT: () => this.SUBRULE(this.budgetDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ],
    ERR_MSG:
      'a declaration (`policy`, `import`, `enum`, `input`, `model`, `provider`, `tool`, `validator`, `classifier`, `route`, `assert`, `budget` or `test`)',
  };

  /** Alternatives built once: an OR literal would allocate its closures on every call. */
  private readonly scalarAlts: OrMethodOpts<A.LiteralExpr['value']> = {
    DEF: [
      {
        ALT: () => {
          const t = this.CONSUME(StringLiteral);
          return this.ACTION(() => this.str(t));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(NumberLiteral);
          return this.ACTION(() => this.num(t));
        },
      },
      { ALT: () => this.SUBRULE(this.moneyLit) },
      {
        ALT: () => {
          const t = this.CONSUME(Kw.true);
          return this.ACTION(() => ({ kind: 'Bool', value: true, span: this.tokSpan(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Kw.false);
          return this.ACTION(() => ({ kind: 'Bool', value: false, span: this.tokSpan(t) }));
        },
      },
      { ALT: () => this.SUBRULE(this.listLit) },
    ],
    ERR_MSG: 'a value (a string, number, amount, `true`/`false` or `[list]`)',
  };

  /** Alternatives built once: an OR literal would allocate its closures on every call. */
  private readonly valueAlts: OrMethodOpts<A.Value> = {
    DEF: [
      { ALT: () => this.SUBRULE(this.scalarLiteral) },
      { ALT: () => this.SUBRULE(this.objectLit) },
      {
        ALT: () => {
          const t = this.CONSUME(FieldName);
          // `env("NAME")`: a name applied to a string.
          let argument: IToken | undefined;
          let close: IToken | undefined;
          this.OPTION(() => {
            this.CONSUME(LParen);
            argument = this.CONSUME(StringLiteral);
            close = this.CONSUME(RParen);
          });
          return this.ACTION((): A.Value => {
            const name = this.ident(t);
            if (argument && close) {
              return { kind: 'Call', callee: name, argument: this.str(argument), span: this.join(name.span, this.tokSpan(close)) };
            }
            return { kind: 'Symbol', name, span: this.tokSpan(t) };
          });
        },
      },
    ],
    ERR_MSG: 'a value (a string, number, amount, `true`/`false`, a name, `[list]` or `{object}`)',
  };

  /** Alternatives built once: an OR literal would allocate its closures on every call. */
  private readonly primaryAlts: OrMethodOpts<A.Expr> = {
    DEF: [
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const inner = this.SUBRULE(this.expression);
          const close = this.CONSUME(RParen);
          return this.ACTION(() => ({ kind: 'Paren', inner, span: this.join(this.tokSpan(open), this.tokSpan(close)) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.model);
          const segments: A.Ident[] = [];
          this.MANY(() => {
            this.CONSUME(Dot);
            const seg = this.CONSUME(Name);
            this.ACTION(() => segments.push(this.ident(seg)));
          });
          return this.ACTION(() => {
            const k = this.tokSpan(kw);
            const last = segments[segments.length - 1];
            return { kind: 'Model', keyword: k, segments, span: last ? this.join(k, last.span) : k };
          });
        },
      },
      {
        ALT: () => {
          const first = this.CONSUME(FieldName);
          const segments: A.Ident[] = [];
          this.ACTION(() => segments.push(this.ident(first)));
          this.MANY2(() => {
            this.CONSUME2(Dot);
            const seg = this.CONSUME2(Name);
            this.ACTION(() => segments.push(this.ident(seg)));
          });
          return this.ACTION(() => ({
            kind: 'Path',
            segments,
            span: this.join((segments[0] as A.Ident).span, (segments[segments.length - 1] as A.Ident).span),
          }));
        },
      },
      {
        ALT: () => {
          const v = this.SUBRULE(this.scalarLiteral);
          return this.ACTION(() => ({ kind: 'Literal', value: v, span: v.span }));
        },
      },
    ],
    ERR_MSG: 'a field, a value or `(`',
  };

  /** Alternatives built once: an OR literal would allocate its closures on every call. */
  private readonly planUnitAlts: OrMethodOpts<A.Plan> = {
    DEF: [
      {
        ALT: () => {
          const t = this.CONSUME(Identifier);
          return this.ACTION(() => ({ kind: 'Ref', name: this.ident(t), span: this.tokSpan(t) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.cascade);
          const list = this.SUBRULE(this.planList);
          const until = this.SUBRULE(this.untilClause);
          return this.ACTION(() => ({ kind: 'Cascade', steps: list.plans, until, span: this.join(this.tokSpan(kw), until.span) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.try);
          const tool = this.CONSUME2(Identifier);
          let until: A.UntilClause | undefined;
          this.OPTION(() => {
            until = this.SUBRULE2(this.untilClause);
          });
          this.CONSUME(Kw.else);
          const otherwise = this.SUBRULE(this.plan);
          return this.ACTION(() => ({
            kind: 'Try',
            tool: this.ident(tool),
            ...(until ? { until } : {}),
            otherwise,
            span: this.join(this.tokSpan(kw), otherwise.span),
          }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.split);
          this.CONSUME(Kw.by);
          const first = this.CONSUME(FieldName);
          const segments: A.Ident[] = [];
          this.ACTION(() => segments.push(this.ident(first)));
          this.MANY(() => {
            this.CONSUME(Dot);
            const seg = this.CONSUME(Name);
            this.ACTION(() => segments.push(this.ident(seg)));
          });
          this.CONSUME(LBrace);
          const arms: A.SplitArm[] = [];
          this.MANY2(() => {
            const p = this.SUBRULE2(this.plan);
            this.CONSUME2(Colon);
            const w = this.CONSUME(NumberLiteral);
            this.ACTION(() => {
              const weight = this.num(w);
              arms.push({ kind: 'Arm', plan: p, weight, span: this.join(p.span, weight.span) });
            });
            this.OPTION2(() => this.CONSUME(Comma));
          });
          const close = this.CONSUME(RBrace);
          return this.ACTION(() => {
            const fieldSpan = this.join((segments[0] as A.Ident).span, (segments[segments.length - 1] as A.Ident).span);
            return { kind: 'Split', field: { kind: 'Path', segments, span: fieldSpan }, arms, span: this.join(this.tokSpan(kw), this.tokSpan(close)) };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME7(Kw.rollout);
          const name = this.CONSUME7(StringLiteral);
          this.CONSUME7(Kw.by);
          const first = this.CONSUME7(FieldName);
          const segments: A.Ident[] = [];
          this.ACTION(() => segments.push(this.ident(first)));
          this.MANY7(() => {
            this.CONSUME7(Dot);
            const seg = this.CONSUME7(Name);
            this.ACTION(() => segments.push(this.ident(seg)));
          });
          this.CONSUME7(LBrace);
          const arms: A.RolloutArm[] = [];
          const properties: A.Property[] = [];
          this.MANY8(() => {
            const key = this.CONSUME8(Name);
            this.OR7([
              {
                ALT: () => {
                  this.CONSUME7(Arrow);
                  const p = this.SUBRULE7(this.plan);
                  this.ACTION(() => {
                    const role = this.ident(key);
                    arms.push({ kind: 'RolloutArm', role, plan: p, span: this.join(role.span, p.span) });
                  });
                },
              },
              {
                ALT: () => {
                  this.CONSUME7(Equals);
                  const value = this.SUBRULE7(this.value);
                  this.ACTION(() => {
                    const k = this.ident(key);
                    properties.push({ kind: 'Property', key: k, value, span: this.join(k.span, value.span) });
                  });
                },
              },
            ]);
            this.OPTION7(() => this.CONSUME7(Comma));
          });
          const close = this.CONSUME7(RBrace);
          return this.ACTION((): A.Plan => {
            const fieldSpan = this.join((segments[0] as A.Ident).span, (segments[segments.length - 1] as A.Ident).span);
            return {
              kind: 'Rollout',
              name: this.str(name),
              field: { kind: 'Path', segments, span: fieldSpan },
              arms,
              properties,
              span: this.join(this.tokSpan(kw), this.tokSpan(close)),
            };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.OR2<IToken>([{ ALT: () => this.CONSUME(Kw.fastest) }, { ALT: () => this.CONSUME(Kw.cheapest) }]);
          const list = this.SUBRULE2(this.planList);
          return this.ACTION(() => ({
            kind: 'Choice',
            strategy: kw.image === 'fastest' ? 'fastest' : 'cheapest',
            candidates: list.plans,
            span: this.join(this.tokSpan(kw), this.tokSpan(list.close)),
          }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.best);
          const list = this.SUBRULE3(this.planList);
          this.CONSUME2(Kw.by);
          const v = this.CONSUME3(Identifier);
          return this.ACTION(() => ({
            kind: 'Choice',
            strategy: 'best',
            candidates: list.plans,
            by: this.ident(v),
            span: this.join(this.tokSpan(kw), this.tokSpan(v)),
          }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(Kw.deny);
          const reason = this.CONSUME(StringLiteral);
          return this.ACTION(() => ({ kind: 'Deny', reason: this.str(reason), span: this.join(this.tokSpan(kw), this.tokSpan(reason)) }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const inner = this.SUBRULE3(this.plan);
          const close = this.CONSUME(RParen);
          return this.ACTION(() => ({ kind: 'ParenPlan', inner, span: this.join(this.tokSpan(open), this.tokSpan(close)) }));
        },
      },
    ],
    ERR_MSG: 'a plan (a model name, `cascade`, `try`, `split`, `rollout`, `fastest`, `cheapest`, `best`, `deny` or `(`)',
  };

  // ------------------------------------------------------------ helpers (run only inside ACTION)

  private tokSpan(token: IToken): Span {
    if (token.isInsertedInRecovery || !Number.isFinite(token.startOffset)) {
      const next = this.LA(1);
      const at = Number.isFinite(next.startOffset) ? next.startOffset : this.fallbackOffset;
      return { start: at, end: at };
    }
    return { start: token.startOffset, end: token.startOffset + token.image.length };
  }

  private here(): Span {
    const next = this.LA(1);
    const at = Number.isFinite(next.startOffset) ? next.startOffset : this.fallbackOffset;
    return { start: at, end: at };
  }

  private ident(token: IToken): A.Ident {
    return { kind: 'Ident', name: token.image, span: this.tokSpan(token) };
  }

  private join(a: Span, b: Span): Span {
    // Recovered nodes may have empty spans at odd places; keep spans ordered.
    const start = Math.min(a.start, b.start);
    return { start, end: Math.max(a.end, b.end, start) };
  }

  private str(token: IToken): A.StringLit {
    const span = this.tokSpan(token);
    const decoded = decodeString(token.image || '""');
    if (!decoded.ok) {
      const at = span.start + decoded.badEscapeAt;
      this.literalDiagnostics.push(
        diagnostic(
          'RL1006',
          this.file,
          { start: at, end: at + 2 },
          `invalid escape \`${token.image.slice(decoded.badEscapeAt, decoded.badEscapeAt + 2)}\` in a string`,
          {
            help: 'use a JSON escape such as `\\n`, `\\"`, `\\\\` or `\\u00e9`',
          },
        ),
      );
    }
    return { kind: 'String', value: decoded.value, raw: token.image || '""', span };
  }

  private num(token: IToken): A.NumberLit {
    const span = this.tokSpan(token);
    const decoded = decodeNumber(token.image || '0');
    if (!decoded.ok) {
      const unitStart = span.end - decoded.unit.length;
      this.literalDiagnostics.push(
        diagnostic('RL1005', this.file, { start: unitStart, end: span.end }, `unknown unit \`${decoded.unit}\``, {
          help: `a number may end with ${NUMBER_UNITS.map((u) => `\`${u}\``).join(', ')}`,
        }),
      );
      return { kind: 'Number', value: decoded.value, unit: 'none', raw: token.image, span };
    }
    return { kind: 'Number', value: decoded.value, unit: decoded.unit, raw: token.image || '0', span };
  }

  private money(token: IToken, per: A.NumberLit | A.Ident | undefined): A.MoneyLit {
    const span = this.tokSpan(token);
    const decoded = decodeMoney(token.image || '$0');
    if (!decoded.ok) {
      this.literalDiagnostics.push(
        diagnostic('RL1005', this.file, { start: span.end - decoded.unit.length, end: span.end }, `unknown unit \`${decoded.unit}\` on an amount of money`, {
          help: 'write money as `$1.50`, `$2k` or `$1M`; prices as `$0.15 per 1M`',
        }),
      );
    }
    const full = per ? this.join(span, per.span) : span;
    const node: A.MoneyLit = per
      ? { kind: 'Money', amount: decoded.value, raw: token.image, per, span: full }
      : { kind: 'Money', amount: decoded.value, raw: token.image, span: full };
    return node;
  }

  private errorNode = (): A.ErrorNode => ({ kind: 'Error', span: this.here() });

  // ------------------------------------------------------------ declarations

  /** One declaration and the end of its chunk: with EOF in the follow set, a missing `}` at the end is inserted by recovery. */
  chunk = this.RULE(
    'chunk',
    (): A.Declaration | undefined => {
      const declaration = this.SUBRULE(this.declaration);
      this.ACTION(() => {
        this.lastDeclaration = declaration;
      });
      this.CONSUME(EOF);
      return declaration;
    },
    { recoveryValueFunc: () => undefined },
  );

  /** One route rule and nothing after it: re-parsing one rule of a large route (`parseRouteByRules`). */
  ruleChunk = this.RULE(
    'ruleChunk',
    (): A.Rule | undefined => {
      const rule = this.SUBRULE(this.rule);
      this.CONSUME(EOF);
      return rule;
    },
    { recoveryValueFunc: () => undefined },
  );

  private declaration = this.RULE('declaration', (): A.Declaration | undefined => this.OR(this.declarationAlts), { recoveryValueFunc: () => undefined });

  private policyHeader = this.RULE('policyHeader', (): A.PolicyHeader => {
    const kw = this.CONSUME(Kw.policy);
    const name = this.CONSUME(Identifier);
    let version: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(Kw.version);
      version = this.CONSUME(StringLiteral);
    });
    return this.ACTION(() => {
      const end = version ? this.tokSpan(version) : this.tokSpan(name);
      const node: A.PolicyHeader = version
        ? { kind: 'Policy', name: this.ident(name), version: this.str(version), span: this.join(this.tokSpan(kw), end) }
        : { kind: 'Policy', name: this.ident(name), span: this.join(this.tokSpan(kw), end) };
      return node;
    });
  });

  private importDecl = this.RULE('importDecl', (): A.ImportDecl => {
    const kw = this.CONSUME(Kw.import);
    const path = this.CONSUME(StringLiteral);
    return this.ACTION(() => ({ kind: 'Import', path: this.str(path), span: this.join(this.tokSpan(kw), this.tokSpan(path)) }));
  });

  private identList = this.RULE(
    'identList',
    (): { members: A.Ident[]; close: IToken } => {
      const members: A.Ident[] = [];
      this.CONSUME(LBrace);
      this.MANY(() => {
        const t = this.CONSUME(FieldName);
        this.ACTION(() => members.push(this.ident(t)));
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBrace);
      return { members, close };
    },
    { recoveryValueFunc: () => ({ members: [], close: this.LA(0) }) },
  );

  private enumDecl = this.RULE('enumDecl', (): A.EnumDecl => {
    const kw = this.CONSUME(Kw.enum);
    const name = this.CONSUME(Identifier);
    const list = this.SUBRULE(this.identList);
    return this.ACTION(() => ({ kind: 'Enum', name: this.ident(name), members: list.members, span: this.join(this.tokSpan(kw), this.tokSpan(list.close)) }));
  });

  private inputBlock = this.RULE('inputBlock', (): A.InputDecl => {
    const kw = this.CONSUME(Kw.input);
    this.CONSUME(LBrace);
    const fields: A.FieldDecl[] = [];
    this.MANY(() => {
      const field = this.SUBRULE(this.field);
      this.ACTION(() => field && fields.push(field));
      this.OPTION(() => this.CONSUME(Comma));
    });
    const close = this.CONSUME(RBrace);
    return this.ACTION(() => ({ kind: 'Input', fields, span: this.join(this.tokSpan(kw), this.tokSpan(close)) }));
  });

  private field = this.RULE(
    'field',
    (): A.FieldDecl | undefined => {
      const name = this.CONSUME(FieldName);
      this.CONSUME(Colon);
      const type = this.SUBRULE(this.typeExpr);
      let def: A.Value | undefined;
      let from: IToken | undefined;
      this.OPTION(() => {
        this.CONSUME(Equals);
        def = this.SUBRULE(this.value);
      });
      this.OPTION2(() => {
        this.CONSUME(Kw.from);
        from = this.CONSUME(Identifier);
      });
      return this.ACTION(() => {
        const nameNode = this.ident(name);
        let end = type.span;
        if (def) end = def.span;
        if (from) end = this.tokSpan(from);
        return {
          kind: 'Field',
          name: nameNode,
          type,
          ...(def ? { default: def } : {}),
          ...(from ? { from: this.ident(from) } : {}),
          span: this.join(nameNode.span, end),
        };
      });
    },
    { recoveryValueFunc: () => undefined },
  );

  private typeExpr = this.RULE(
    'typeExpr',
    (): A.TypeExpr =>
      this.OR<A.TypeExpr>([
        {
          ALT: () => {
            const kw = this.CONSUME(Kw.enum);
            const list = this.SUBRULE(this.identList);
            return this.ACTION(() => ({ kind: 'InlineEnum', members: list.members, span: this.join(this.tokSpan(kw), this.tokSpan(list.close)) }));
          },
        },
        {
          ALT: () => {
            const name = this.CONSUME(Identifier);
            const args: A.TypeExpr[] = [];
            let close: IToken | undefined;
            this.OPTION(() => {
              this.CONSUME(Lt);
              const arg = this.SUBRULE(this.typeExpr);
              this.ACTION(() => args.push(arg));
              close = this.CONSUME(Gt);
            });
            return this.ACTION(() => {
              const nameNode = this.ident(name);
              return { kind: 'NamedType', name: nameNode, args, span: close ? this.join(nameNode.span, this.tokSpan(close)) : nameNode.span };
            });
          },
        },
      ]),
    { recoveryValueFunc: () => this.errorNode() },
  );

  private propertyBlock = this.RULE(
    'propertyBlock',
    (): { properties: A.Property[]; close: IToken } => {
      this.CONSUME(LBrace);
      const properties: A.Property[] = [];
      this.MANY(() => {
        const p = this.SUBRULE(this.property);
        this.ACTION(() => p && properties.push(p));
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBrace);
      return { properties, close };
    },
    { recoveryValueFunc: () => ({ properties: [], close: this.LA(0) }) },
  );

  private property = this.RULE(
    'property',
    (): A.Property | undefined => {
      const key = this.CONSUME(Name);
      this.CONSUME(Equals);
      const value = this.SUBRULE(this.value);
      return this.ACTION(() => {
        const k = this.ident(key);
        return { kind: 'Property', key: k, value, span: this.join(k.span, value.span) };
      });
    },
    { recoveryValueFunc: () => undefined },
  );

  private modelDecl = this.RULE('modelDecl', (): A.ModelDecl => {
    const kw = this.CONSUME(Kw.model);
    const name = this.CONSUME(Identifier);
    const block = this.SUBRULE(this.propertyBlock);
    return this.ACTION(() => ({
      kind: 'ModelDecl',
      name: this.ident(name),
      properties: block.properties,
      span: this.join(this.tokSpan(kw), this.tokSpan(block.close)),
    }));
  });

  private providerDecl = this.RULE('providerDecl', (): A.ProviderDecl => {
    const kw = this.CONSUME(Kw.provider);
    const name = this.CONSUME(Identifier);
    const block = this.SUBRULE(this.propertyBlock);
    return this.ACTION(() => ({
      kind: 'ProviderDecl',
      name: this.ident(name),
      properties: block.properties,
      span: this.join(this.tokSpan(kw), this.tokSpan(block.close)),
    }));
  });

  private toolDecl = this.RULE('toolDecl', (): A.ToolDecl => {
    const kw = this.CONSUME(Kw.tool);
    const name = this.CONSUME(Identifier);
    const block = this.SUBRULE(this.propertyBlock);
    return this.ACTION(() => ({
      kind: 'ToolDecl',
      name: this.ident(name),
      properties: block.properties,
      span: this.join(this.tokSpan(kw), this.tokSpan(block.close)),
    }));
  });

  private validatorDecl = this.RULE('validatorDecl', (): A.ValidatorDecl => {
    const kw = this.CONSUME(Kw.validator);
    const name = this.CONSUME(Identifier);
    this.CONSUME(Equals);
    const spec = this.OR<A.ValidatorSpec>({
      DEF: [
        {
          ALT: () => {
            const k = this.CONSUME(Kw.extern);
            const s = this.CONSUME(StringLiteral);
            return this.ACTION(() => ({ kind: 'extern', name: this.str(s), span: this.join(this.tokSpan(k), this.tokSpan(s)) }));
          },
        },
        {
          ALT: () => {
            const k = this.CONSUME(Kw.schema);
            const s = this.CONSUME2(StringLiteral);
            return this.ACTION(() => ({ kind: 'schema', path: this.str(s), span: this.join(this.tokSpan(k), this.tokSpan(s)) }));
          },
        },
        {
          ALT: () => {
            const b = this.CONSUME2(Identifier);
            return this.ACTION(() => ({ kind: 'builtin', name: this.ident(b), span: this.tokSpan(b) }));
          },
        },
      ],
      ERR_MSG: '`extern "name"`, `schema "file.json"`, `json` or `not_empty`',
    });
    return this.ACTION(() => ({ kind: 'ValidatorDecl', name: this.ident(name), spec, span: this.join(this.tokSpan(kw), spec.span) }));
  });

  private classifierDecl = this.RULE('classifierDecl', (): A.ClassifierDecl => {
    const kw = this.CONSUME(Kw.classifier);
    const name = this.CONSUME(Identifier);
    this.CONSUME(Kw.on);
    const target = this.CONSUME(FieldName);
    return this.OR<A.ClassifierDecl>([
      {
        ALT: () => {
          this.CONSUME(Equals);
          this.CONSUME(Kw.extern);
          const ext = this.CONSUME(StringLiteral);
          return this.ACTION(() => ({
            kind: 'ClassifierDecl',
            name: this.ident(name),
            target: this.ident(target),
            extern: this.str(ext),
            labels: [],
            span: this.join(this.tokSpan(kw), this.tokSpan(ext)),
          }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(LBrace);
          const labels: A.ClassifierLabel[] = [];
          let def: IToken | undefined;
          this.MANY(() => {
            this.OR2([
              {
                // `default: label` (the word is only special here)
                GATE: () => this.LA(1).image === 'default',
                ALT: () => {
                  this.CONSUME2(Identifier);
                  this.CONSUME(Colon);
                  def = this.CONSUME3(Identifier);
                },
              },
              {
                ALT: () => {
                  const label = this.SUBRULE(this.classifierLabel);
                  this.ACTION(() => label && labels.push(label));
                },
              },
            ]);
            this.OPTION(() => this.CONSUME(Comma));
          });
          const close = this.CONSUME(RBrace);
          return this.ACTION(() => ({
            kind: 'ClassifierDecl',
            name: this.ident(name),
            target: this.ident(target),
            labels,
            ...(def ? { default: this.ident(def) } : {}),
            span: this.join(this.tokSpan(kw), this.tokSpan(close)),
          }));
        },
      },
    ]);
  });

  private classifierLabel = this.RULE(
    'classifierLabel',
    (): A.ClassifierLabel | undefined => {
      const label = this.CONSUME(Identifier);
      this.CONSUME(Colon);
      this.CONSUME(LBracket);
      const examples: A.StringLit[] = [];
      this.MANY(() => {
        const s = this.CONSUME(StringLiteral);
        this.ACTION(() => examples.push(this.str(s)));
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBracket);
      return this.ACTION(() => ({ kind: 'Label', label: this.ident(label), examples, span: this.join(this.tokSpan(label), this.tokSpan(close)) }));
    },
    { recoveryValueFunc: () => undefined },
  );

  route = this.RULE('route', (): A.RouteDecl => {
    const kw = this.CONSUME(Kw.route);
    let name: IToken | undefined;
    this.OPTION(() => {
      name = this.CONSUME(Identifier);
    });
    this.CONSUME(LBrace);
    const rules: A.Rule[] = [];
    this.MANY(() => {
      const rule = this.SUBRULE(this.rule);
      this.ACTION(() => rule && rules.push(rule));
    });
    const close = this.CONSUME(RBrace);
    return this.ACTION(() => {
      const span = this.join(this.tokSpan(kw), this.tokSpan(close));
      const keyword = this.tokSpan(kw);
      return name ? { kind: 'RouteDecl', name: this.ident(name), keyword, rules, span } : { kind: 'RouteDecl', keyword, rules, span };
    });
  });

  private rule = this.RULE(
    'rule',
    (): A.Rule | undefined => {
      let start: IToken | undefined;
      let condition: A.Expr | undefined;
      this.OR([
        {
          ALT: () => {
            start = this.CONSUME(Kw.when);
            condition = this.SUBRULE(this.expression);
          },
        },
        {
          ALT: () => {
            start = this.CONSUME(Kw.otherwise);
          },
        },
      ]);
      this.CONSUME(Arrow);
      const plan = this.SUBRULE(this.plan);
      let label: IToken | undefined;
      this.OPTION(() => {
        this.CONSUME(Kw.because);
        label = this.CONSUME(StringLiteral);
      });
      return this.ACTION(() => {
        const first = start ? this.tokSpan(start) : plan.span;
        const span = this.join(first, label ? this.tokSpan(label) : plan.span);
        return {
          kind: 'Rule',
          ...(condition ? { condition } : {}),
          plan,
          ...(label ? { label: this.str(label) } : {}),
          span,
        };
      });
    },
    { recoveryValueFunc: () => undefined },
  );

  private assertDecl = this.RULE('assertDecl', (): A.AssertDecl => {
    const kw = this.CONSUME(Kw.assert);
    let label: IToken | undefined;
    this.OPTION(() => {
      label = this.CONSUME(StringLiteral);
      this.CONSUME(Colon);
    });
    const expr = this.SUBRULE(this.expression);
    return this.ACTION(() => ({
      kind: 'AssertDecl',
      ...(label ? { label: this.str(label) } : {}),
      expr,
      span: this.join(this.tokSpan(kw), expr.span),
    }));
  });

  private budgetDecl = this.RULE('budgetDecl', (): A.BudgetDecl => {
    const kw = this.CONSUME(Kw.budget);
    this.CONSUME(LBrace);
    const items: A.BudgetItem[] = [];
    this.MANY(() => {
      const key = this.CONSUME(Identifier);
      this.CONSUME(LtEq);
      const limit = this.SUBRULE(this.value);
      this.ACTION(() => {
        const k = this.ident(key);
        items.push({ kind: 'BudgetItem', key: k, limit, span: this.join(k.span, limit.span) });
      });
      this.OPTION(() => this.CONSUME(Comma));
    });
    const close = this.CONSUME(RBrace);
    return this.ACTION(() => ({ kind: 'BudgetDecl', items, span: this.join(this.tokSpan(kw), this.tokSpan(close)) }));
  });

  private testDecl = this.RULE('testDecl', (): A.TestDecl => {
    const kw = this.CONSUME(Kw.test);
    const name = this.CONSUME(StringLiteral);
    this.CONSUME(LBrace);
    this.CONSUME(Kw.given);
    const given = this.SUBRULE(this.objectLit);
    const expectations: A.Expectation[] = [];
    this.AT_LEAST_ONE({
      DEF: () => {
        const e = this.SUBRULE(this.expectation);
        this.ACTION(() => e && expectations.push(e));
      },
      ERR_MSG: '`expect MODEL`, `expect deny`, `expect because "label"` or `expect plan PLAN`',
    });
    const close = this.CONSUME(RBrace);
    return this.ACTION(() => ({ kind: 'TestDecl', name: this.str(name), given, expectations, span: this.join(this.tokSpan(kw), this.tokSpan(close)) }));
  });

  private expectation = this.RULE(
    'expectation',
    (): A.Expectation | undefined => {
      const kw = this.CONSUME(Kw.expect);
      return this.OR<A.Expectation>({
        DEF: [
          {
            ALT: () => {
              const t = this.CONSUME(Kw.deny);
              return this.ACTION(() => ({ kind: 'ExpectDeny', span: this.join(this.tokSpan(kw), this.tokSpan(t)) }));
            },
          },
          {
            ALT: () => {
              this.CONSUME(Kw.because);
              const s = this.CONSUME(StringLiteral);
              return this.ACTION(() => ({ kind: 'ExpectBecause', label: this.str(s), span: this.join(this.tokSpan(kw), this.tokSpan(s)) }));
            },
          },
          {
            ALT: () => {
              this.CONSUME(Kw.plan);
              const p = this.SUBRULE(this.plan);
              return this.ACTION(() => ({ kind: 'ExpectPlan', plan: p, span: this.join(this.tokSpan(kw), p.span) }));
            },
          },
          {
            ALT: () => {
              const t = this.CONSUME(Identifier);
              return this.ACTION(() => ({ kind: 'ExpectTarget', target: this.ident(t), span: this.join(this.tokSpan(kw), this.tokSpan(t)) }));
            },
          },
        ],
        ERR_MSG: 'a model name, `deny`, `because "label"` or `plan PLAN` after `expect`',
      });
    },
    { recoveryValueFunc: () => undefined },
  );

  // ------------------------------------------------------------ values

  value = this.RULE('value', (): A.Value => this.OR(this.valueAlts), { recoveryValueFunc: () => this.errorNode() });

  /** The literals a condition and a value share: strings, numbers, money, booleans, lists. */
  private scalarLiteral = this.RULE('scalarLiteral', (): A.LiteralExpr['value'] => this.OR(this.scalarAlts), {
    recoveryValueFunc: (): A.LiteralExpr['value'] => ({ kind: 'List', items: [], span: this.here() }),
  });

  private moneyLit = this.RULE(
    'moneyLit',
    (): A.MoneyLit => {
      const t = this.CONSUME(MoneyLiteral);
      let per: IToken | undefined;
      let perIsNumber = false;
      this.OPTION(() => {
        this.CONSUME(Kw.per);
        this.OR([
          {
            ALT: () => {
              per = this.CONSUME(NumberLiteral);
              perIsNumber = true;
            },
          },
          {
            ALT: () => {
              per = this.CONSUME(Identifier);
            },
          },
        ]);
      });
      return this.ACTION(() => {
        const perNode = per ? (perIsNumber ? this.num(per) : this.ident(per)) : undefined;
        return this.money(t, perNode);
      });
    },
    { recoveryValueFunc: (): A.MoneyLit => ({ kind: 'Money', amount: 0, raw: '$0', span: this.here() }) },
  );

  private listLit = this.RULE(
    'listLit',
    (): A.ListLit => {
      const open = this.CONSUME(LBracket);
      const items: A.Value[] = [];
      this.MANY(() => {
        const v = this.SUBRULE(this.value);
        this.ACTION(() => items.push(v));
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBracket);
      return this.ACTION(() => ({ kind: 'List', items, span: this.join(this.tokSpan(open), this.tokSpan(close)) }));
    },
    { recoveryValueFunc: (): A.ListLit => ({ kind: 'List', items: [], span: this.here() }) },
  );

  private objectLit = this.RULE(
    'objectLit',
    (): A.ObjectLit => {
      const open = this.CONSUME(LBrace);
      const entries: A.ObjectEntry[] = [];
      this.MANY(() => {
        const key = this.CONSUME(Name);
        this.CONSUME(Colon);
        const value = this.SUBRULE(this.value);
        this.ACTION(() => {
          const k = this.ident(key);
          entries.push({ kind: 'Entry', key: k, value, span: this.join(k.span, value.span) });
        });
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBrace);
      return this.ACTION(() => ({ kind: 'Object', entries, span: this.join(this.tokSpan(open), this.tokSpan(close)) }));
    },
    { recoveryValueFunc: (): A.ObjectLit => ({ kind: 'Object', entries: [], span: this.here() }) },
  );

  // ------------------------------------------------------------ expressions

  expression = this.RULE(
    'expression',
    (): A.Expr => {
      const left = this.SUBRULE(this.orExpr);
      let right: A.Expr | undefined;
      this.OPTION(() => {
        this.CONSUME(Kw.implies);
        right = this.SUBRULE(this.expression);
      });
      return this.ACTION(() => (right ? { kind: 'Implies', left, right, span: this.join(left.span, right.span) } : left));
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private orExpr = this.RULE(
    'orExpr',
    (): A.Expr => {
      const operands: A.Expr[] = [];
      const first = this.SUBRULE(this.andExpr);
      this.ACTION(() => operands.push(first));
      this.MANY(() => {
        this.CONSUME(Kw.or);
        const next = this.SUBRULE2(this.andExpr);
        this.ACTION(() => operands.push(next));
      });
      return this.ACTION(() =>
        operands.length === 1 ? first : { kind: 'Or', operands, span: this.join(first.span, (operands[operands.length - 1] as A.Expr).span) },
      );
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private andExpr = this.RULE(
    'andExpr',
    (): A.Expr => {
      const operands: A.Expr[] = [];
      const first = this.SUBRULE(this.notExpr);
      this.ACTION(() => operands.push(first));
      this.MANY(() => {
        this.CONSUME(Kw.and);
        const next = this.SUBRULE2(this.notExpr);
        this.ACTION(() => operands.push(next));
      });
      return this.ACTION(() =>
        operands.length === 1 ? first : { kind: 'And', operands, span: this.join(first.span, (operands[operands.length - 1] as A.Expr).span) },
      );
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private notExpr = this.RULE(
    'notExpr',
    (): A.Expr =>
      this.OR<A.Expr>({
        ERR_MSG: 'a condition',
        DEF: [
          {
            ALT: () => {
              const kw = this.CONSUME(Kw.not);
              const operand = this.SUBRULE(this.notExpr);
              return this.ACTION(() => ({ kind: 'Not', operand, span: this.join(this.tokSpan(kw), operand.span) }));
            },
          },
          { ALT: () => this.SUBRULE(this.relExpr) },
        ],
      }),
    { recoveryValueFunc: () => this.errorNode() },
  );

  private relExpr = this.RULE(
    'relExpr',
    (): A.Expr => {
      const left = this.SUBRULE(this.primary);
      let result: A.Expr | undefined;
      this.OPTION(() => {
        this.OR([
          {
            ALT: () => {
              const op = this.OR2<IToken>([
                { ALT: () => this.CONSUME(EqEq) },
                { ALT: () => this.CONSUME(NotEq) },
                { ALT: () => this.CONSUME(LtEq) },
                { ALT: () => this.CONSUME(GtEq) },
                { ALT: () => this.CONSUME(Lt) },
                { ALT: () => this.CONSUME(Gt) },
              ]);
              const right = this.SUBRULE2(this.primary);
              this.ACTION(() => {
                result = { kind: 'Compare', op: op.image as A.CompareOp, opSpan: this.tokSpan(op), left, right, span: this.join(left.span, right.span) };
              });
            },
          },
          {
            ALT: () => {
              let negated = false;
              this.OPTION2(() => {
                this.CONSUME(Kw.not);
                negated = true;
              });
              this.CONSUME(Kw.in);
              const right = this.SUBRULE3(this.primary);
              this.ACTION(() => {
                result = { kind: 'In', negated, left, right, span: this.join(left.span, right.span) };
              });
            },
          },
          {
            ALT: () => {
              this.CONSUME(Kw.contains);
              const right = this.SUBRULE4(this.primary);
              this.ACTION(() => {
                result = { kind: 'Contains', left, right, span: this.join(left.span, right.span) };
              });
            },
          },
        ]);
      });
      return this.ACTION(() => result ?? left);
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private primary = this.RULE('primary', (): A.Expr => this.OR(this.primaryAlts), { recoveryValueFunc: () => this.errorNode() });

  // ------------------------------------------------------------ plans

  plan = this.RULE(
    'plan',
    (): A.Plan => {
      let current = this.SUBRULE(this.withPlan);
      this.MANY(() => {
        this.CONSUME(Kw.fallback);
        const secondary = this.SUBRULE2(this.withPlan);
        let on: (A.Ident | A.NumberLit)[] | undefined;
        let close: IToken | undefined;
        this.OPTION(() => {
          this.CONSUME(Kw.on);
          this.CONSUME(LBracket);
          const list: (A.Ident | A.NumberLit)[] = [];
          this.MANY2(() => {
            this.OR2([
              {
                ALT: () => {
                  const t = this.CONSUME(Name); // `budget` is an error class and a keyword
                  this.ACTION(() => list.push(this.ident(t)));
                },
              },
              {
                ALT: () => {
                  const t = this.CONSUME2(NumberLiteral); // an upstream's HTTP status: `503`
                  this.ACTION(() => list.push(this.num(t)));
                },
              },
            ]);
            this.OPTION2(() => this.CONSUME(Comma));
          });
          close = this.CONSUME(RBracket);
          on = list;
        });
        this.ACTION(() => {
          const end = close ? this.tokSpan(close) : secondary.span;
          const primary = current;
          current = on
            ? { kind: 'Fallback', primary, secondary, on, span: this.join(primary.span, end) }
            : { kind: 'Fallback', primary, secondary, span: this.join(primary.span, end) };
        });
      });
      this.OPTION3(() => {
        this.CONSUME(Kw.shadow);
        const model = this.CONSUME(Identifier);
        const share = this.CONSUME(NumberLiteral);
        let by: IToken | undefined;
        this.OPTION4(() => {
          this.CONSUME(Kw.by);
          by = this.CONSUME2(Identifier);
        });
        this.ACTION(() => {
          const end = by ? this.tokSpan(by) : this.tokSpan(share);
          const plan = current;
          current = {
            kind: 'Shadow',
            plan,
            shadow: this.ident(model),
            share: this.num(share),
            ...(by ? { by: this.ident(by) } : {}),
            span: this.join(plan.span, end),
          };
        });
      });
      return current;
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private withPlan = this.RULE(
    'withPlan',
    (): A.Plan => {
      const unit = this.SUBRULE(this.planUnit);
      let options: A.ObjectLit | undefined;
      this.OPTION(() => {
        this.CONSUME(Kw.with);
        options = this.SUBRULE(this.objectLit);
      });
      return this.ACTION(() => (options ? { kind: 'With', plan: unit, options, span: this.join(unit.span, options.span) } : unit));
    },
    { recoveryValueFunc: () => this.errorNode() },
  );

  private planList = this.RULE(
    'planList',
    (): { plans: A.Plan[]; close: IToken } => {
      this.CONSUME(LBracket);
      const plans: A.Plan[] = [];
      this.MANY(() => {
        const p = this.SUBRULE(this.plan);
        this.ACTION(() => plans.push(p));
        this.OPTION(() => this.CONSUME(Comma));
      });
      const close = this.CONSUME(RBracket);
      return { plans, close };
    },
    { recoveryValueFunc: () => ({ plans: [], close: this.LA(0) }) },
  );

  private untilClause = this.RULE(
    'untilClause',
    (): A.UntilClause => {
      const kw = this.CONSUME(Kw.until);
      const validator = this.CONSUME(Identifier);
      const op = this.OR({ DEF: [{ ALT: () => this.CONSUME(GtEq) }, { ALT: () => this.CONSUME(Gt) }], ERR_MSG: '`>=` or `>`' });
      const threshold = this.CONSUME(NumberLiteral);
      return this.ACTION(() => ({
        kind: 'Until',
        validator: this.ident(validator),
        op: op.image === '>' ? '>' : '>=',
        threshold: this.num(threshold),
        span: this.join(this.tokSpan(kw), this.tokSpan(threshold)),
      }));
    },
    {
      recoveryValueFunc: (): A.UntilClause => ({
        kind: 'Until',
        validator: { kind: 'Ident', name: '', span: this.here() },
        op: '>=',
        threshold: this.errorNode(),
        span: this.here(),
      }),
    },
  );

  private planUnit = this.RULE('planUnit', (): A.Plan => this.OR(this.planUnitAlts), { recoveryValueFunc: () => this.errorNode() });
}

let shared: RouteParser | undefined;
function parserInstance(): RouteParser {
  shared ??= new RouteParser();
  return shared;
}

/** The parser's output: always a module, plus the syntax diagnostics. */
export interface ParseResult {
  readonly module: A.Module;
  readonly diagnostics: Diagnostic[];
}

/**
 * Parses one file. Never throws: every problem becomes a diagnostic and the tree covers the rest.
 * By default it re-uses what it lexed and parsed of earlier texts (the lines an edit left alone,
 * route rules it parsed before): the same result, faster when an editor re-checks after each
 * keystroke. `{ reuse: false }` parses from scratch (what the tests compare that with).
 */
export function parse(text: string, file: string, options: { readonly reuse?: boolean } = {}): ParseResult {
  const reuse = options.reuse ?? true;
  const lexed = reuse ? lexAgain(text, file) : lex(text, file);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  const tokens = limitNesting(lexed.tokens, file, diagnostics);
  const parser = parserInstance();
  parser.literalDiagnostics.length = 0;
  const declarations: A.Declaration[] = [];
  const recovered: Span[] = [];

  for (const chunk of declarationChunks(tokens, text)) {
    const first = chunk.tokens[0] as IToken;
    const endOffset = chunk.next ? chunk.next.startOffset : text.length;
    if (!DECLARATION_TOKENS.has(first.tokenType)) {
      const last = chunk.tokens[chunk.tokens.length - 1] as IToken;
      diagnostics.push(
        diagnostic(
          'RL1001',
          file,
          { start: first.startOffset, end: last.startOffset + last.image.length },
          `expected a declaration, found ${describeToken(first)}${didYouMean(first, DECLARATION_KEYWORDS)}`,
          {
            help: 'a policy file holds `policy`, `import`, `enum`, `input`, `model`, `provider`, `tool`, `validator`, `classifier`, `route`, `assert`, `budget` and `test` declarations',
            fix: keywordFix(first, DECLARATION_KEYWORDS, file),
          },
        ),
      );
      continue;
    }
    if (reuse && first.tokenType === Kw.route) {
      const route = parseRouteByRules(parser, chunk.tokens, text, file);
      if (route) {
        declarations.push(route);
        continue;
      }
    }
    parser.load(chunk.tokens, file, endOffset);
    let declaration: A.Declaration | undefined;
    try {
      declaration = parser.chunk() ?? parser.lastDeclaration;
    } catch (error) {
      // Chevrotain recovers from syntax errors itself, so the only exception user text can
      // cause is a stack overflow on pathological nesting: report it, keep the rest of the file.
      // Anything else is a bug in the parser and must not be disguised as a diagnostic.
      if (!(error instanceof RangeError)) throw error;
      diagnostics.push(
        diagnostic('RL1007', file, { start: first.startOffset, end: endOffset }, 'this declaration nests too deeply to parse', {
          help: `keep nesting under ${MAX_NESTING} levels`,
        }),
      );
      recovered.push({ start: first.startOffset, end: endOffset });
    }
    if (parser.errors.length > 0) recovered.push({ start: first.startOffset, end: endOffset });
    for (const error of parser.errors) {
      const token = error.token;
      const rule = error.context.ruleStack[error.context.ruleStack.length - 1] ?? '';
      let span: Span;
      let message = error.message;
      if (token.tokenType === EOF || !Number.isFinite(token.startOffset)) {
        if (chunk.next) {
          span = { start: chunk.next.startOffset, end: chunk.next.startOffset + chunk.next.image.length };
          message = message.replace('the end of the file', `\`${chunk.next.image}\` (the next declaration)`);
        } else {
          span = { start: text.length, end: text.length };
        }
      } else {
        span = { start: token.startOffset, end: token.startOffset + token.image.length };
      }
      const help = RULE_HELP[rule];
      // After the end of a declaration only another declaration can start.
      const keywords = message.endsWith(AFTER_END) ? DECLARATION_KEYWORDS : KEYWORD_WORDS;
      const fix = keywordFix(token, keywords, file);
      diagnostics.push(diagnostic('RL1001', file, span, `${message}${didYouMean(token, keywords)}`, { ...(help ? { help } : {}), ...(fix ? { fix } : {}) }));
    }
    if (declaration) declarations.push(declaration);
  }
  diagnostics.push(...parser.literalDiagnostics);
  parser.literalDiagnostics.length = 0;
  const module: A.Module = { kind: 'Module', file, declarations, comments: lexed.comments, span: { start: 0, end: text.length }, recovered };
  return { module, diagnostics };
}

/**
 * Parsed rules by their source text (from their `when`/`otherwise` to the next rule), with the
 * offset they were last placed at: an editor re-checks a file on every keystroke, and a route
 * of 1,600 rules is re-parsed whole for an edit to one of them. A rule found at the same offset
 * is the same (frozen) tree; found elsewhere, a copy moved there. Only rules that parsed
 * cleanly are kept; the map is emptied when it grows past its bound.
 */
const parsedRules = new Map<string, { from: number; rule: A.Rule }>();
const PARSED_RULES_BOUND = 20_000; // a 10,000-line policy has about 8,000 rules

/**
 * A route declaration parsed rule by rule, each rule's tree taken from `parsedRules` when its
 * text was parsed before. Gives up (undefined: the caller parses the declaration as usual) on
 * anything but a well-formed `route [NAME] { rules }` whose every rule parses without a
 * diagnostic, so what it returns is what the route rule itself builds
 * (test/incremental-parse.test.ts).
 */
function parseRouteByRules(parser: RouteParser, tokens: IToken[], text: string, file: string): A.RouteDecl | undefined {
  const keyword = tokens[0] as IToken;
  const named = tokens[1]?.tokenType === Identifier;
  const open = tokens[named ? 2 : 1];
  const close = tokens[tokens.length - 1] as IToken;
  if (open?.tokenType !== LBrace || close.tokenType !== RBrace || tokens.length < (named ? 5 : 4)) return undefined;
  // Rules start at `when`/`otherwise` outside brackets; the body must start with one and close every bracket.
  const body = tokens.slice(named ? 3 : 2, -1);
  const starts: number[] = [];
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const type = (body[i] as IToken).tokenType;
    if (depth === 0 && (type === Kw.when || type === Kw.otherwise)) starts.push(i);
    if (type === LBrace || type === LBracket || type === LParen) depth++;
    else if (type === RBrace || type === RBracket || type === RParen) depth--;
    if (depth < 0) return undefined;
  }
  if (depth !== 0 || starts[0] !== 0) return undefined;
  const literals = parser.literalDiagnostics.length;
  const rules: A.Rule[] = [];
  for (let k = 0; k < starts.length; k++) {
    const from = (body[starts[k] as number] as IToken).startOffset;
    const to = k + 1 < starts.length ? (body[starts[k + 1] as number] as IToken).startOffset : close.startOffset;
    const source = text.slice(from, to);
    const known = parsedRules.get(source);
    if (known) {
      if (known.from !== from) {
        known.rule = movedBy(known.rule, from - known.from);
        known.from = from;
      }
      rules.push(known.rule);
      continue;
    }
    parser.load(body.slice(starts[k], starts[k + 1] ?? body.length), file, to);
    const rule = parser.ruleChunk();
    if (!rule || parser.errors.length > 0 || parser.literalDiagnostics.length > literals) {
      parser.literalDiagnostics.length = literals;
      return undefined;
    }
    if (parsedRules.size >= PARSED_RULES_BOUND) parsedRules.clear();
    parsedRules.set(source, { from, rule: frozen(rule) });
    rules.push(rule);
  }
  const kw = spanOf(keyword);
  const span: Span = { start: kw.start, end: spanOf(close).end };
  if (!named) return { kind: 'RouteDecl', keyword: kw, rules, span };
  const name = tokens[1] as IToken;
  return {
    kind: 'RouteDecl',
    name: { kind: 'Ident', name: name.image, span: spanOf(name) },
    keyword: kw,
    rules,
    span,
  };
}

/** `node`, deeply frozen: a tree shared between parses must not change under one of them. */
function frozen<T>(node: T): T {
  if (typeof node === 'object' && node !== null && !Object.isFrozen(node)) {
    for (const value of Object.values(node)) frozen(value);
    Object.freeze(node);
  }
  return node;
}

/**
 * A deep copy of a frozen tree with every span (`{ start, end }`) moved by `delta`, frozen as
 * it is built (one walk: an edit that changes the text's length moves every later rule).
 */
function movedBy<T>(node: T, delta: number): T {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) {
    const out = new Array<unknown>(node.length);
    for (let i = 0; i < node.length; i++) out[i] = movedBy(node[i] as unknown, delta);
    return Object.freeze(out) as T;
  }
  const o = node as Record<string, unknown>;
  if (typeof o.start === 'number' && typeof o.end === 'number' && isSpan(o)) return Object.freeze({ start: o.start + delta, end: o.end + delta }) as T;
  const out: Record<string, unknown> = {};
  for (const key in o) out[key] = movedBy(o[key], delta);
  return Object.freeze(out) as T;
}

/** Whether an object with numeric `start` and `end` has no other key (a span, not a node). */
function isSpan(o: Record<string, unknown>): boolean {
  let keys = 0;
  for (const _ in o) keys++;
  return keys === 2;
}

const KEYWORD_WORDS: readonly string[] = Object.keys(Kw);

/** The keyword a misspelt identifier most likely meant (`otherwize` → `otherwise`), if any. */
function misspeltKeyword(token: IToken, keywords: Iterable<string>): string | undefined {
  if (token.tokenType !== Identifier || !Number.isFinite(token.startOffset)) return undefined;
  return closest(token.image, keywords);
}

function didYouMean(token: IToken, keywords: Iterable<string>): string {
  const k = misspeltKeyword(token, keywords);
  return k === undefined ? '' : `; did you mean \`${k}\`?`;
}

function keywordFix(token: IToken, keywords: Iterable<string>, file: string): Fix | undefined {
  const k = misspeltKeyword(token, keywords);
  if (k === undefined) return undefined;
  return { title: `change to \`${k}\``, edits: [{ file, span: { start: token.startOffset, end: token.startOffset + token.image.length }, newText: k }] };
}

/** The token types of the top-level declaration keywords. */
const DECLARATION_TOKENS: ReadonlySet<TokenType> = new Set([...DECLARATION_KEYWORDS].map((word) => Kw[word as keyof typeof Kw]));

interface Chunk {
  tokens: IToken[];
  /** The first token of the next chunk, if any. */
  next: IToken | undefined;
}

/**
 * Cuts the token stream before each top-level declaration keyword: one at bracket depth 0,
 * or one that starts a line (so an unclosed `{` does not swallow the rest of the file).
 * `model` not followed by a name is the `model` of an assertion, not a declaration.
 */
function declarationChunks(tokens: IToken[], text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let current: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as IToken;
    const startsDeclaration =
      current.length > 0 &&
      DECLARATION_TOKENS.has(token.tokenType) &&
      tokens[i - 1]?.tokenType !== Dot && // `model.price.input`: a keyword after `.` is a name
      // `model` starts a declaration only as `model NAME`; elsewhere it is the `model` of an assertion
      // (where a name can never follow it: only an operator or `.` can).
      !(token.image === 'model' && tokens[i + 1]?.tokenType !== Identifier) &&
      // `provider` is also a field name (`provider == "openai"`): only `provider NAME {` declares one.
      !(token.image === 'provider' && !hasDeclarationShape(tokens, i)) &&
      (depth <= 0 || (startsLine(token, text) && hasDeclarationShape(tokens, i)));
    if (startsDeclaration) {
      chunks.push({ tokens: current, next: token });
      current = [];
      depth = 0;
    }
    const type = token.tokenType;
    if (type === LBrace || type === LBracket || type === LParen) depth++;
    else if (type === RBrace || type === RBracket || type === RParen) depth--;
    current.push(token);
  }
  if (current.length > 0) chunks.push({ tokens: current, next: undefined });
  return chunks;
}

/**
 * Whether the tokens at `i` look like the start of a declaration (`input {`, `model NAME`,
 * `test "…"`…), so that a keyword used as a key (`input: $1 per 1M`) is not taken for one.
 */
function hasDeclarationShape(tokens: IToken[], i: number): boolean {
  const next = tokens[i + 1]?.tokenType;
  const after = tokens[i + 2]?.tokenType;
  switch ((tokens[i] as IToken).image) {
    case 'policy':
    case 'model':
    case 'tool':
      return next === Identifier;
    case 'import':
    case 'test':
      return next === StringLiteral;
    case 'enum':
    case 'provider':
      return next === Identifier && after === LBrace;
    case 'input':
    case 'budget':
      return next === LBrace;
    case 'validator':
      return next === Identifier && after === Equals;
    case 'classifier':
      return next === Identifier && after === Kw.on;
    case 'route':
      return next === LBrace || (next === Identifier && after === LBrace);
    case 'assert':
      return next !== Colon && next !== Equals;
    default:
      return false;
  }
}

function startsLine(token: IToken, text: string): boolean {
  for (let i = token.startOffset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) return true;
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * Replaces anything nested deeper than MAX_NESTING (brackets, or a run of `not`) with a
 * single `false`, so recursive stages never meet a pathological tree.
 */
function limitNesting(tokens: IToken[], file: string, diagnostics: Diagnostic[]): IToken[] {
  let depth = 0;
  let notRun = 0;
  let tooDeep = false;
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === LBrace || type === LBracket || type === LParen) depth++;
    else if (type === RBrace || type === RBracket || type === RParen) depth--;
    notRun = type === Kw.not ? notRun + 1 : 0;
    if (depth > MAX_NESTING || notRun > MAX_NESTING) {
      tooDeep = true;
      break;
    }
  }
  if (!tooDeep) return tokens;
  const out: IToken[] = [];
  depth = 0;
  notRun = 0;
  let skipFrom: IToken | undefined;
  let skipDepth = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    const opens = type === LBrace || type === LBracket || type === LParen;
    const closes = type === RBrace || type === RBracket || type === RParen;
    if (skipFrom) {
      if (opens) skipDepth++;
      else if (closes) skipDepth--;
      if (skipDepth === 0) {
        diagnostics.push(
          diagnostic(
            'RL1007',
            file,
            { start: skipFrom.startOffset, end: token.startOffset + token.image.length },
            `brackets nest deeper than ${MAX_NESTING} levels`,
            {
              help: 'flatten the expression: `a and b and c` needs no brackets',
            },
          ),
        );
        out.push(syntheticFalse(skipFrom));
        skipFrom = undefined;
      }
      continue;
    }
    if (opens && depth + 1 > MAX_NESTING) {
      skipFrom = token;
      skipDepth = 1;
      continue;
    }
    if (opens) depth++;
    else if (closes) depth--;
    if (type === Kw.not) {
      notRun++;
      if (notRun > MAX_NESTING) {
        if (notRun === MAX_NESTING + 1) {
          diagnostics.push(
            diagnostic('RL1007', file, { start: token.startOffset, end: token.startOffset + 3 }, `\`not\` repeats more than ${MAX_NESTING} times`, {
              help: 'two `not`s cancel out: remove them in pairs',
            }),
          );
        }
        continue;
      }
    } else {
      notRun = 0;
    }
    out.push(token);
  }
  if (skipFrom) {
    diagnostics.push(
      diagnostic(
        'RL1007',
        file,
        { start: skipFrom.startOffset, end: skipFrom.startOffset + 1 },
        `brackets nest deeper than ${MAX_NESTING} levels and are never closed`,
        { help: 'flatten the expression and close every bracket' },
      ),
    );
  }
  return out;
}

function syntheticFalse(at: IToken): IToken {
  return { ...at, image: 'false', tokenType: Kw.false, tokenTypeIdx: Kw.false.tokenTypeIdx as number };
}
