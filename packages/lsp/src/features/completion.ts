// Completion that knows where the cursor is. The text of the enclosing declaration up to the
// cursor is tokenized and its last tokens say what may come next: declarations at top level,
// fields and enum members in conditions (`risk == |` offers the members of `risk`'s enum),
// models and routes in plans, properties in model and tool blocks, units after numbers.
// Works on half-typed text: it needs tokens, not a parse.

import {
  BUDGET_KEYS,
  DECLARATION_KEYWORDS,
  DEPLOYMENTS,
  describeType,
  ERROR_CLASSES,
  MODEL_EXPR_PROPERTIES,
  MODEL_PROPERTIES,
  PLAN_OPTIONS,
  type PlainToken,
  type Policy,
  PROTOCOLS,
  PROVIDER_PROPERTIES,
  SCALAR_TYPES,
  TEXT_PARTS,
  TOOL_KINDS,
  TOOL_PROPERTIES,
  tokenize,
} from '@routelang/dsl';
import { type CompletionItem, CompletionItemKind, InsertTextFormat, type Position, type Range } from 'vscode-languageserver';
import { toOffset, toPosition } from '../convert.js';
import type { Analysis, Workspace } from '../workspace.js';
import { symbolCard } from './hover.js';

const NAME_KINDS = /^(Identifier|Kw_\w+)$/;
const OPERATORS = new Set([
  'Arrow',
  'EqEq',
  'NotEq',
  'Lt',
  'LtEq',
  'Gt',
  'GtEq',
  'Kw_and',
  'Kw_or',
  'Kw_not',
  'Kw_implies',
  'Kw_in',
  'Kw_contains',
  'Colon',
  'Comma',
  'LParen',
  'LBracket',
  'Kw_when',
]);

/** Snippets for the declarations, in the order a policy usually has them. */
const DECLARATION_SNIPPETS: Record<string, string> = {
  policy: 'policy ${1:name} version "${2:1}"',
  import: 'import "${1:../catalog.route}"',
  enum: 'enum ${1:Name} { ${2:a}, ${3:b} }',
  input: 'input {\n  prompt: text\n  ${1:field}: ${2:string}\n}',
  model:
    'model ${1:name} {\n  provider   = "${2:openai}"\n  id         = "${3:gpt-4o-mini}"\n  price      = { input: \\$${4:0.15} per 1M, output: \\$${5:0.60} per 1M }\n  context    = ${6:128k}\n}',
  tool: 'tool ${1:name} { kind = ${2|search,database,rules,function|} }',
  validator: 'validator ${1:name} = extern "${2:score}"',
  classifier: 'classifier ${1:name} on ${2:prompt} {\n  ${3:label}: ["${4:example}"]\n}',
  route: 'route {\n  when ${1:condition} -> ${2:model}\n  otherwise -> ${3:model}\n}',
  assert: 'assert "${1:what must hold}": ${2:condition}',
  budget: 'budget {\n  per_request <= \\$${1:0.50}\n}',
  test: 'test "${1:name}" {\n  given { ${2:prompt}: "${3:text}" }\n  expect ${4:mini}\n}',
};

const UNITS: readonly [string, string][] = [
  ['k', 'thousand (tokens or counts)'],
  ['M', 'million (tokens or counts)'],
  ['ms', 'milliseconds'],
  ['s', 'seconds'],
  ['m', 'minutes'],
  ['h', 'hours'],
  ['%', 'percent'],
];

interface Context {
  readonly analysis: Analysis;
  readonly policy: Policy;
  readonly text: string;
  /** Tokens of the enclosing declaration before the word being typed. */
  readonly tokens: readonly PlainToken[];
  readonly range: Range;
  /** Only white space precedes the word being typed on its line. */
  readonly lineStart: boolean;
}

export function completion(workspace: Workspace, file: string, position: Position): CompletionItem[] {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return [];
  const text = source.text;
  const offset = toOffset(source, position);
  const lineBegin = text.lastIndexOf('\n', offset - 1) + 1;
  const linePrefix = text.slice(lineBegin, offset);
  if (insideStringOrComment(linePrefix)) return [];

  // Units right after a number: `8|` or `8k|`.
  const number = /(?:^|[^A-Za-z0-9_$.])([0-9]+(?:\.[0-9]+)?)([A-Za-z%]*)$/.exec(linePrefix);
  if (number?.[1]) {
    const start = toPosition(source, offset - (number[2] ?? '').length);
    return UNITS.map(([unit, detail], i) => ({
      label: `${number[1]}${unit}`,
      kind: CompletionItemKind.Unit,
      detail,
      filterText: `${number[1]}${unit}`,
      sortText: String(i),
      textEdit: { range: { start, end: position }, newText: unit },
    }));
  }

  const declStart = enclosingDeclarationStart(text, lineBegin);
  const all = tokenize(text.slice(declStart, offset)).map((t) => ({ ...t, start: t.start + declStart, end: t.end + declStart }));
  const lastToken = all[all.length - 1];
  const typing = lastToken && lastToken.end === offset && NAME_KINDS.test(lastToken.kind) ? lastToken : undefined;
  const tokens = typing ? all.slice(0, -1) : all;
  const range: Range = { start: typing ? toPosition(source, typing.start) : position, end: position };
  const beforeWord = typing ? text.slice(lineBegin, typing.start) : linePrefix;
  const ctx: Context = { analysis, policy: analysis.front.policy, text, tokens, range, lineStart: beforeWord.trim() === '' };
  return itemsFor(ctx).map((item) => ({ ...item, textEdit: item.textEdit ?? { range, newText: item.insertText ?? item.label } }));
}

/** A `//` comment or an open string before the cursor on its line. */
function insideStringOrComment(linePrefix: string): boolean {
  let inString = false;
  for (let i = 0; i < linePrefix.length; i++) {
    const c = linePrefix[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '/' && linePrefix[i + 1] === '/') return true;
  }
  return inString;
}

/** The start of the line that begins the declaration around `lineBegin` (a declaration keyword at column 0). */
function enclosingDeclarationStart(text: string, lineBegin: number): number {
  let at = lineBegin;
  while (at > 0) {
    const word = /^[a-z]+/.exec(text.slice(at, at + 12))?.[0];
    if (word && DECLARATION_KEYWORDS.has(word)) return at;
    at = text.lastIndexOf('\n', at - 2) + 1;
  }
  return 0;
}

function depth(tokens: readonly PlainToken[]): number {
  let d = 0;
  for (const t of tokens) {
    if (t.kind === 'LBrace') d++;
    else if (t.kind === 'RBrace') d = Math.max(0, d - 1);
  }
  return d;
}

/** The token that opened the innermost unclosed `[`, `{` or `(` and the index of the bracket. */
function openBracket(tokens: readonly PlainToken[]): { bracket: PlainToken; before: PlainToken | undefined; index: number } | undefined {
  let level = 0;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i];
    if (!t) continue;
    if (t.kind === 'RBracket' || t.kind === 'RBrace' || t.kind === 'RParen') level++;
    else if (t.kind === 'LBracket' || t.kind === 'LBrace' || t.kind === 'LParen') {
      if (level === 0) return { bracket: t, before: tokens[i - 1], index: i };
      level--;
    }
  }
  return undefined;
}

/** Where the cursor is: brace depth, the last two tokens before it, and the innermost open bracket. */
interface Cursor {
  readonly d: number;
  readonly last: PlainToken | undefined;
  readonly prev: PlainToken | undefined;
  readonly open: ReturnType<typeof openBracket>;
}

function itemsFor(ctx: Context): CompletionItem[] {
  const { tokens } = ctx;
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const decl = first && DECLARATION_KEYWORDS.has(first.image) ? first.image : undefined;
  const d = depth(tokens);
  // A new declaration starts only outside every bracket: a condition continued on a new line
  // inside `(` or `[` (an `assert` split over lines) is still the same declaration.
  if (!first || (d === 0 && !openBracket(tokens) && ctx.lineStart && (!last || !OPERATORS.has(last.kind)))) return declarations();
  const prev = tokens[tokens.length - 2];

  // Things that mean the same in every declaration.
  if (last?.kind === 'Dot' && prev) return dotted(ctx, tokens.length - 2);
  if (last && ['EqEq', 'NotEq'].includes(last.kind) && prev) {
    return prev.kind === 'Kw_model' ? models(ctx) : members(ctx, prev.image);
  }
  const open = openBracket(tokens);
  if (open && open.bracket.kind === 'LBracket' && last && (last.kind === 'LBracket' || last.kind === 'Comma')) {
    const before = open.before;
    if (before?.kind === 'Kw_in') return members(ctx, tokens[open.index - 2]?.image ?? '');
    if (before?.kind === 'Kw_on') return words(ERROR_CLASSES, CompletionItemKind.EnumMember, 'error class');
    if (before && ['Kw_cascade', 'Kw_fastest', 'Kw_cheapest', 'Kw_best'].includes(before.kind)) return plans(ctx);
  }

  switch (decl) {
    case 'route':
      return routeItems(ctx, { d, last, prev, open });
    case 'assert':
      if (last && OPERATORS.has(last.kind)) return [...fields(ctx), keyword('model', 'the model serving the request'), keyword('not')];
      return [];
    case 'model':
      if (last?.kind === 'Equals' && prev?.image === 'deployment') return words(DEPLOYMENTS, CompletionItemKind.EnumMember, 'deployment');
      if (last?.kind === 'Equals' && prev?.image === 'provider')
        return [...ctx.policy.providers.keys()].map((p) => ({ label: `"${p}"`, kind: CompletionItemKind.Module, detail: 'declared provider' }));
      if (d === 1 && ctx.lineStart) return properties(MODEL_PROPERTIES, 'model property', present(tokens));
      return [];
    case 'provider':
      if (last?.kind === 'Equals' && prev?.image === 'protocol') return words(PROTOCOLS, CompletionItemKind.EnumMember, 'protocol');
      if (last?.kind === 'Equals' && prev?.image === 'api_key')
        return [
          {
            label: 'env("…")',
            kind: CompletionItemKind.Function,
            detail: 'read the key from the environment',
            insertText: 'env("$1")',
            insertTextFormat: InsertTextFormat.Snippet,
          },
        ];
      if (d === 1 && (ctx.lineStart || last?.kind === 'LBrace')) return properties(PROVIDER_PROPERTIES, 'provider property', present(tokens));
      return [];
    case 'tool':
      if (last?.kind === 'Equals' && prev?.image === 'kind') return words(TOOL_KINDS, CompletionItemKind.EnumMember, 'tool kind');
      if (d === 1 && (ctx.lineStart || last?.kind === 'LBrace')) return properties(TOOL_PROPERTIES, 'tool property', present(tokens));
      return [];
    case 'input':
      if (last?.kind === 'Colon' || (last?.kind === 'Lt' && prev?.image === 'list')) return types(ctx);
      if (last?.kind === 'Kw_from') return names(ctx.policy.classifiers.keys(), CompletionItemKind.Function, 'classifier', ctx, 'classifier');
      if (last?.kind === 'Equals' && prev) return defaultsFor(ctx, tokens);
      return [];
    case 'budget':
      return d === 1 && ctx.lineStart ? properties(BUDGET_KEYS, 'budget limit', present(tokens), ' <= $') : [];
    case 'validator':
      return last?.kind === 'Equals' ? ['extern', 'schema', 'json', 'not_empty'].map((w) => keyword(w)) : [];
    case 'classifier':
      return last?.kind === 'Kw_on' ? fields(ctx) : [];
    case 'test':
      return testItems(ctx, { d, last, prev, open });
    default:
      return [];
  }
}

function routeItems(ctx: Context, { d, last, prev, open }: Cursor): CompletionItem[] {
  if (!last) return [];
  if (open?.bracket.kind === 'LBrace' && (last.kind === 'LBrace' || last.kind === 'Comma')) {
    if (open.before?.kind === 'Kw_with') return properties(PLAN_OPTIONS, 'call option', new Set(), ': ');
    if (open.before && open.index >= 3) return plans(ctx); // the arms of `split by FIELD { … }`
  }
  if (d === 1 && ctx.lineStart && !OPERATORS.has(last.kind))
    return [keyword('when', 'a rule: `when CONDITION -> PLAN`'), keyword('otherwise', 'the rule for every other request')];
  switch (last.kind) {
    case 'Arrow':
    case 'Kw_fallback':
    case 'Kw_else':
      return plans(ctx);
    case 'Kw_try':
      return names(ctx.policy.tools.keys(), CompletionItemKind.Function, 'tool', ctx, 'tool');
    case 'Kw_until':
      return names(ctx.policy.validators.keys(), CompletionItemKind.Method, 'validator', ctx, 'validator');
    case 'Kw_by':
      return prev?.kind === 'Kw_split' ? fields(ctx) : names(ctx.policy.validators.keys(), CompletionItemKind.Method, 'validator', ctx, 'validator');
    case 'Kw_when':
    case 'Kw_and':
    case 'Kw_or':
    case 'Kw_not':
    case 'Kw_implies':
    case 'LParen':
      return [...fields(ctx), keyword('not')];
    case 'Kw_in':
      return fields(ctx).filter((f) => f.detail?.startsWith('list'));
    default:
      return [];
  }
}

function testItems(ctx: Context, { d, last, prev, open }: Cursor): CompletionItem[] {
  if (!last) return [];
  if (open?.bracket.kind === 'LBrace' && open.before?.kind === 'Kw_given') {
    if (last.kind === 'LBrace' || last.kind === 'Comma') return fields(ctx).map((f) => ({ ...f, insertText: `${f.label}: ` }));
    if (last.kind === 'Colon' && prev) {
      const field = ctx.policy.fields.get(prev.image);
      if (field?.type.kind === 'bool') return ['true', 'false'].map((w) => keyword(w));
      return members(ctx, prev.image);
    }
    return [];
  }
  if (last.kind === 'Kw_expect')
    return [
      ...models(ctx),
      ...names(ctx.policy.tools.keys(), CompletionItemKind.Function, 'tool', ctx, 'tool'),
      keyword('deny'),
      keyword('because'),
      keyword('plan'),
    ];
  if (last.kind === 'Kw_plan') return plans(ctx);
  if (d === 1 && ctx.lineStart) return [keyword('given'), keyword('expect')];
  return [];
}

/** Completions after `X.`: parts of a text field, properties of `model`, `input`/`output` of `model.price`. */
function dotted(ctx: Context, index: number): CompletionItem[] {
  const owner = ctx.tokens[index];
  if (!owner) return [];
  if (owner.kind === 'Kw_model') {
    return Object.entries(MODEL_EXPR_PROPERTIES).map(([name, type]) => ({
      label: name,
      kind: CompletionItemKind.Property,
      detail: name === 'price' ? 'model.price.input / model.price.output' : describeType(type),
    }));
  }
  if (owner.image === 'price' && ctx.tokens[index - 2]?.kind === 'Kw_model') return words(['input', 'output'], CompletionItemKind.Property, 'price per token');
  const field = ctx.policy.fields.get(owner.image);
  if (field?.type.kind === 'text')
    return Object.entries(TEXT_PARTS).map(([name, type]) => ({ label: name, kind: CompletionItemKind.Property, detail: describeType(type) }));
  return [];
}

function declarations(): CompletionItem[] {
  return Object.entries(DECLARATION_SNIPPETS).map(([word, snippet], i) => ({
    label: word,
    kind: CompletionItemKind.Keyword,
    detail: `${word} declaration`,
    insertText: snippet,
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: String(i).padStart(2, '0'),
  }));
}

function keyword(word: string, detail?: string): CompletionItem {
  return { label: word, kind: CompletionItemKind.Keyword, ...(detail ? { detail } : {}) };
}

function words(list: readonly string[], kind: CompletionItemKind, detail: string): CompletionItem[] {
  return list.map((w) => ({ label: w, kind, detail }));
}

function names(list: Iterable<string>, kind: CompletionItemKind, detail: string, ctx: Context, symbolKind: string): CompletionItem[] {
  return [...list].map((name) => {
    const card = symbolCard(ctx.analysis, `${symbolKind}:${name}`);
    return { label: name, kind, detail, ...(card ? { documentation: { kind: 'markdown' as const, value: card } } : {}) };
  });
}

function models(ctx: Context): CompletionItem[] {
  return [...ctx.policy.models.values()].map((m) => ({
    label: m.name,
    kind: CompletionItemKind.Class,
    detail: `${m.provider} ${m.id}`,
    documentation: { kind: 'markdown' as const, value: symbolCard(ctx.analysis, `model:${m.name}`) ?? '' },
  }));
}

function plans(ctx: Context): CompletionItem[] {
  const plansKeywords: [string, string, string][] = [
    ['cascade', 'cascade [${1:small}, ${2:large}] until ${3:validator} >= ${4:0.8}', 'try models in order until a validator is satisfied'],
    ['try', 'try ${1:tool} else ${2:model}', 'call a tool first'],
    ['split', 'split by ${1:field} { ${2:a}: ${3:90}%, ${4:b}: ${5:10}% }', 'sticky A/B split'],
    [
      'rollout',
      'rollout "${1:name}" by ${2:tenant} {\n\tcontrol -> ${3:current}\n\tcandidate -> ${4:next}\n\tmetric = ${5:errors}\n\tmargin = ${6:0.02}\n\tstages = [5%, 25%, 50%, 100%]\n}',
      'a staged rollout, advanced by an anytime-valid test',
    ],
    ['fastest', 'fastest [${1:a}, ${2:b}]', 'the candidate with the lowest live latency'],
    ['cheapest', 'cheapest [${1:a}, ${2:b}]', 'the cheapest candidate'],
    ['best', 'best [${1:a}, ${2:b}] by ${3:validator}', 'the candidate with the best running score'],
    ['deny', 'deny "${1:reason}"', 'refuse the request'],
  ];
  return [
    ...models(ctx),
    ...names(ctx.policy.routes.keys(), CompletionItemKind.Module, 'route', ctx, 'route'),
    ...plansKeywords.map(([label, snippet, detail]) => ({
      label,
      kind: CompletionItemKind.Keyword,
      detail,
      insertText: snippet,
      insertTextFormat: InsertTextFormat.Snippet,
    })),
  ];
}

function fields(ctx: Context): CompletionItem[] {
  return [...ctx.policy.fields.values()].map((f) => ({
    label: f.name,
    kind: CompletionItemKind.Field,
    detail: describeType(f.type),
    documentation: { kind: 'markdown' as const, value: symbolCard(ctx.analysis, `field:${f.name}`) ?? '' },
  }));
}

/** The members of the enum of `fieldName` (or of its list's element type). */
function members(ctx: Context, fieldName: string): CompletionItem[] {
  const type = ctx.policy.fields.get(fieldName)?.type;
  const enumType = type?.kind === 'enum' ? type : type?.kind === 'list' && type.element.kind === 'enum' ? type.element : undefined;
  if (!enumType) return [];
  return enumType.members.map((m, i) => ({
    label: m,
    kind: CompletionItemKind.EnumMember,
    detail: `member of ${describeType(enumType)}`,
    sortText: String(i).padStart(3, '0'),
  }));
}

function types(ctx: Context): CompletionItem[] {
  return [
    ...Object.entries(SCALAR_TYPES).map(([name]) => ({ label: name, kind: CompletionItemKind.TypeParameter, detail: 'type' })),
    { label: 'list', kind: CompletionItemKind.TypeParameter, detail: 'list<T>', insertText: 'list<${1:string}>', insertTextFormat: InsertTextFormat.Snippet },
    {
      label: 'enum',
      kind: CompletionItemKind.TypeParameter,
      detail: 'an inline enum',
      insertText: 'enum { ${1:a}, ${2:b} }',
      insertTextFormat: InsertTextFormat.Snippet,
    },
    ...[...ctx.policy.enums.values()].map((e) => ({ label: e.name, kind: CompletionItemKind.Enum, detail: `enum { ${e.members.join(', ')} }` })),
  ];
}

/** Defaults in an input block: the members of the field's enum, or `true`/`false`. */
function defaultsFor(ctx: Context, tokens: readonly PlainToken[]): CompletionItem[] {
  // The field is the name before the `:` that starts this field's line.
  for (let i = tokens.length - 1; i > 0; i--) {
    if (tokens[i]?.kind === 'Colon') {
      const name = tokens[i - 1]?.image ?? '';
      const field = ctx.policy.fields.get(name);
      if (field?.type.kind === 'bool') return ['true', 'false'].map((w) => keyword(w));
      return members(ctx, name);
    }
  }
  return [];
}

function present(tokens: readonly PlainToken[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) if (tokens[i + 1]?.kind === 'Equals' || tokens[i + 1]?.kind === 'LtEq') out.add(tokens[i]?.image ?? '');
  return out;
}

function properties(list: readonly string[], detail: string, exclude: ReadonlySet<string>, separator = ' = '): CompletionItem[] {
  return list.filter((p) => !exclude.has(p)).map((p) => ({ label: p, kind: CompletionItemKind.Property, detail, insertText: `${p}${separator}` }));
}
