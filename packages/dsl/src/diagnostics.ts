// Diagnostics are data: one typed catalogue of stable codes (RL1xxx syntax and files,
// RL2xxx names and types, RL3xxx analyses, RL4xxx tests), and the `Diagnostic` objects
// every stage returns. The CLI's text/JSON/SARIF output and editor squiggles render these.

import type { Span } from './source.js';

export type Severity = 'error' | 'warning' | 'info';

/** One entry of the catalogue: what a code means, documented in docs/diagnostics.md. */
export interface DiagnosticKind {
  readonly name: string;
  readonly severity: Severity;
  readonly summary: string;
  readonly explanation: string;
}

/** The catalogue. Codes are stable: never renumber or reuse one. */
export const CATALOGUE = {
  RL1001: {
    name: 'syntax-error',
    severity: 'error',
    summary: 'the text does not follow the grammar',
    explanation: 'The parser expected one thing and found another. It recovers and keeps parsing, so every syntax error in a file is reported at once.',
  },
  RL1002: {
    name: 'unexpected-character',
    severity: 'error',
    summary: 'a character that no token can start with',
    explanation: 'Only ASCII letters, digits, `_`, `-`, `$`, `%`, `"`, punctuation of the grammar and white space may appear outside strings and comments.',
  },
  RL1003: {
    name: 'unterminated-string',
    severity: 'error',
    summary: 'a string literal is not closed on its line',
    explanation: 'Strings are double-quoted and end on the line they start on. Close the string with `"`.',
  },
  RL1004: {
    name: 'unterminated-comment',
    severity: 'error',
    summary: 'a block comment is not closed',
    explanation: 'A `/*` comment must be closed with `*/`.',
  },
  RL1005: {
    name: 'unknown-unit',
    severity: 'error',
    summary: 'a number ends with a unit the language does not know',
    explanation: 'Units are `k` and `M` (token counts), `ms`, `s`, `m`, `h` (durations) and `%` (percentages); money is written `$1.50`.',
  },
  RL1006: {
    name: 'invalid-escape',
    severity: 'error',
    summary: 'a string contains an escape sequence JSON does not allow',
    explanation: 'Strings use JSON escapes: `\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`.',
  },
  RL1007: {
    name: 'nesting-too-deep',
    severity: 'error',
    summary: 'brackets or `not` nest deeper than the compiler accepts',
    explanation: 'Expressions may nest at most 64 levels. Deeper nesting is never needed: flatten the expression with `and`/`or`.',
  },
  RL1008: {
    name: 'not-utf8',
    severity: 'error',
    summary: 'the file is not valid UTF-8 text',
    explanation: 'Policy files are UTF-8 text. The diagnostic names the first offending byte.',
  },
  RL1009: {
    name: 'file-too-large',
    severity: 'error',
    summary: 'the file is larger than the compiler accepts',
    explanation: 'Policy files are limited to 8 MiB. Split a generated policy into files joined with `import`.',
  },
  RL1010: {
    name: 'file-unreadable',
    severity: 'error',
    summary: 'a file named on the command line cannot be read',
    explanation: 'The path does not exist, is a directory, or cannot be read by this user.',
  },
  RL1011: {
    name: 'empty-file',
    severity: 'warning',
    summary: 'the file declares nothing',
    explanation: 'An empty policy routes nothing. Start with `policy NAME` and a `route { … }` block.',
  },
  RL2001: {
    name: 'unknown-field',
    severity: 'error',
    summary: 'a name in a condition is neither an input field nor an enum member',
    explanation: 'Conditions read the fields declared in the `input` block (and `model.*` inside `assert`). Declare the field, or fix its spelling.',
  },
  RL2002: {
    name: 'unknown-target',
    severity: 'error',
    summary: 'a plan names a model or route that is not declared',
    explanation: 'A plan calls a declared `model`, or continues in a named `route`. Declare it, import the catalogue that declares it, or fix its spelling.',
  },
  RL2003: {
    name: 'unknown-tool',
    severity: 'error',
    summary: '`try` names a tool that is not declared',
    explanation: '`try T else P` calls the tool `T`, declared with `tool T { kind = … }`.',
  },
  RL2004: {
    name: 'unknown-validator',
    severity: 'error',
    summary: 'a validator that is not declared',
    explanation: '`until V >= t` and `best [...] by V` score answers with a declared `validator V = …`.',
  },
  RL2005: {
    name: 'unknown-classifier',
    severity: 'error',
    summary: '`from` names a classifier that is not declared',
    explanation: 'An input field filled by a classifier names it with `from NAME`; declare `classifier NAME on FIELD { … }`.',
  },
  RL2006: {
    name: 'unknown-type',
    severity: 'error',
    summary: 'a field has a type the language does not know',
    explanation:
      'Types are `bool`, `int`, `number`, `string`, `text`, `duration`, `money`, `tokens`, `percent`, `list<T>`, a declared enum, or an inline `enum { … }`.',
  },
  RL2007: {
    name: 'unknown-member',
    severity: 'error',
    summary: 'a value is not a member of the enum it is compared with',
    explanation: "Enum values are checked against the enum's declaration. Use one of its members, or add the member to the enum.",
  },
  RL2008: {
    name: 'unknown-property',
    severity: 'error',
    summary: 'a property, option or budget key the language does not know',
    explanation: 'Each block accepts a fixed set of keys; the message lists them.',
  },
  RL2009: {
    name: 'missing-property',
    severity: 'error',
    summary: 'a declaration lacks a property it needs',
    explanation: 'Models need `provider`, `id`, `price` and `context`; tools need `kind`; the message names what is missing.',
  },
  RL2010: {
    name: 'duplicate-declaration',
    severity: 'error',
    summary: 'two declarations share a name',
    explanation: 'Models, tools, validators, classifiers, enums, routes and tests share one namespace per kind across all imported files. Rename one of them.',
  },
  RL2011: {
    name: 'duplicate-entry',
    severity: 'error',
    summary: 'a name is listed twice inside one block',
    explanation: 'Enum members, input fields, properties, options, split arms and test inputs must be unique within their block.',
  },
  RL2012: {
    name: 'type-mismatch',
    severity: 'error',
    summary: 'values of different types or units are compared or assigned',
    explanation: 'Units are part of the type: `prompt.tokens < 2s` compares tokens with a duration. The message names both types.',
  },
  RL2013: {
    name: 'invalid-operator',
    severity: 'error',
    summary: 'an operator is applied to a type that does not support it',
    explanation:
      'Ordering (`<`, `<=`, `>`, `>=`) needs numbers, tokens, money, durations or percentages; `contains` needs text or a string; `in FIELD` needs a list.',
  },
  RL2014: {
    name: 'not-boolean',
    severity: 'error',
    summary: 'a condition or assertion is not a boolean',
    explanation: 'Rule conditions and assertions must be `bool`: compare the value with something, e.g. `risk == high`.',
  },
  RL2015: {
    name: 'split-weights',
    severity: 'error',
    summary: 'split weights do not add up to 100%',
    explanation: 'Each arm of `split by FIELD { … }` takes a percentage, and together they must make exactly 100%.',
  },
  RL2016: {
    name: 'threshold-range',
    severity: 'error',
    summary: 'a validator threshold outside [0, 1]',
    explanation: 'Validators return a score in [0, 1], so `until V >= t` needs 0 ≤ t ≤ 1.',
  },
  RL2017: {
    name: 'invalid-default',
    severity: 'error',
    summary: "a default value does not have the field's type",
    explanation: "The value after `=` in the `input` block must have the field's type, e.g. `max_latency: duration = 5s`.",
  },
  RL2018: {
    name: 'route-cycle',
    severity: 'error',
    summary: 'named routes continue in each other in a cycle',
    explanation: 'A route that continues in itself, directly or through other routes, would never decide. The message shows the cycle.',
  },
  RL2019: {
    name: 'import-cycle',
    severity: 'error',
    summary: 'files import each other in a cycle',
    explanation: 'Imports form a tree: move the shared declarations into a file that both import.',
  },
  RL2020: {
    name: 'import-not-found',
    severity: 'error',
    summary: 'an imported file cannot be read',
    explanation: 'Import paths are resolved relative to the importing file.',
  },
  RL2021: {
    name: 'model-outside-assert',
    severity: 'error',
    summary: '`model` is used outside an `assert`',
    explanation: 'The model serving a request is decided by the route, so rule conditions cannot read it; `model.*` belongs in `assert`.',
  },
  RL2022: {
    name: 'no-entry-route',
    severity: 'error',
    summary: 'a policy has no unnamed `route { … }` block',
    explanation: 'The unnamed route is the entry point of a policy. Files without a `policy` header (catalogues) need none.',
  },
  RL2023: {
    name: 'rule-after-otherwise',
    severity: 'error',
    summary: 'a rule follows `otherwise`',
    explanation: '`otherwise` matches every request, so rules after it can never match. Move `otherwise` to the end.',
  },
  RL2024: {
    name: 'invalid-value',
    severity: 'error',
    summary: 'a value outside the range its key accepts',
    explanation: 'For example `deployment` is `cloud` or `on_prem`, `retries` is a whole number from 0 to 10, a percentage is at most 100%.',
  },
  RL2025: {
    name: 'classifier-mismatch',
    severity: 'error',
    summary: 'a classifier does not fit the field it fills',
    explanation: 'A classifier reads a `text` or `string` field and yields labels that must all be members of the enum field that names it with `from`.',
  },
  RL2026: {
    name: 'wrong-kind',
    severity: 'error',
    summary: 'a name of one kind is used where another kind is needed',
    explanation: 'For example a tool where a model is expected, or a cascade step that is not a model.',
  },
  RL2027: {
    name: 'unknown-error-class',
    severity: 'error',
    summary: '`fallback … on [...]` names an error class that does not exist, or a status that is not an HTTP error',
    explanation:
      "Error classes are `timeout`, `rate_limit`, `server_error`, `client_error`, `refusal`, `circuit_open` and `budget`. An upstream's HTTP status can be listed as a number from 400 to 599 (`on [rate_limit, 503]`).",
  },
  RL2028: {
    name: 'unknown-label',
    severity: 'warning',
    summary: '`expect because` names a label no rule carries',
    explanation: 'The label of `expect because "…"` is compared with the `because "…"` labels of the rules; none carries this one.',
  },
  RL2029: {
    name: 'duplicate-header',
    severity: 'error',
    summary: 'more than one `policy` header in a file',
    explanation: 'A file has at most one `policy NAME` header, at its top.',
  },
  RL2030: {
    name: 'invalid-field-access',
    severity: 'error',
    summary: 'a `.name` access on a value that has no such part',
    explanation: 'Only `text` fields have parts (`.tokens`, `.chars`), and `model` has its properties.',
  },
  RL2031: {
    name: 'duplicate-entry-route',
    severity: 'error',
    summary: 'more than one unnamed `route` block',
    explanation: 'A policy has exactly one entry route; name the others (`route NAME { … }`) and continue in them from the entry route.',
  },
  RL2032: {
    name: 'short-cascade',
    severity: 'warning',
    summary: 'a cascade with a single step',
    explanation: 'A cascade escalates from one model to the next; with one step it never escalates. Call the model directly or add a step.',
  },
  RL2033: {
    name: 'unused-declaration',
    severity: 'warning',
    summary: 'a declaration nothing uses',
    explanation: 'A model, tool, validator, classifier or named route of the entry file that no plan, field, test or assertion refers to.',
  },
  RL2034: {
    name: 'field-comparison',
    severity: 'error',
    summary: 'two fields are compared with each other',
    explanation:
      "Decision graphs cut each field's domain at constants, so a condition compares a field with a constant (`tier == gold`, `prompt.tokens < 8k`), not with another field.",
  },
  RL2035: {
    name: 'tenant-field',
    severity: 'error',
    summary: 'a `per_tenant` budget in a policy without a `tenant` field',
    explanation: 'Tenant spend is counted by the value of the input field `tenant`. Declare `tenant: string` in the `input` block.',
  },
  RL2036: {
    name: 'reserved-field-name',
    severity: 'error',
    summary: 'an input field named `__proto__`',
    explanation:
      "Requests are JSON objects read in JavaScript, where `__proto__` sets an object's prototype instead of holding a value: no request could carry such a field, and the runtime treats the key as unknown. Rename the field.",
  },
  RL2037: {
    name: 'literal-secret',
    severity: 'error',
    summary: 'a secret written in the policy',
    explanation:
      'A provider\'s `api_key` (and any header that carries a credential) must come from the environment of the process that serves the policy: `api_key = env("OPENAI_API_KEY")`. A key written in a `.route` file ends up in version control, in the IR artifact and in every log that prints the policy. Only the name of the variable is stored; its value is read when the gateway starts and never logged.',
  },
  RL2038: {
    name: 'undeclared-provider',
    severity: 'warning',
    summary: 'a model names a provider the policy does not declare',
    explanation:
      'Once a policy declares how providers are reached (`provider NAME { … }`), `routelang serve` can call only the declared ones. A model whose `provider` is not declared needs a host adapter (`Router.load(ir, { adapters })`) or an `--upstream NAME=URL` option, or a `provider` declaration.',
  },
  RL2039: {
    name: 'misplaced-env',
    severity: 'error',
    summary: '`env(…)` where a secret cannot stand',
    explanation:
      '`env("NAME")` reads a value from the environment of the process that serves the policy. It gives a provider\'s `api_key` and `headers` values, and nothing else: every other value is part of the policy and is checked, diffed and proved with it.',
  },
  RL2040: {
    name: 'rollout-settings',
    severity: 'error',
    summary: 'a rollout missing a part, or with a setting of the wrong kind',
    explanation:
      "A rollout names a `control` and a `candidate` plan, the `metric` it compares them on (a validator's score; `errors`: the share of calls without error; `{ latency_under: 2s }` or `{ cost_under: $0.01 }`: the share of calls within the objective), the `margin` by which the candidate may be worse (on the metric's [0, 1] scale), the `stages` of the candidate's share (increasing percentages ending at 100%), and optionally the `confidence` (default 95%), a `guard` (`{ errors: 5%, latency_p95: 2s }`) and `min_samples` per stage. The runtime advances a stage only when an anytime-valid test says the candidate is not worse than the control by more than the margin.",
  },
  RL3001: {
    name: 'unsatisfiable-rule',
    severity: 'warning',
    summary: "a rule's condition can never hold",
    explanation: 'No request satisfies the condition (for example `x < 5 and x > 10`), so the rule never matches. Fix the condition or remove the rule.',
  },
  RL3002: {
    name: 'shadowed-rule',
    severity: 'warning',
    summary: 'earlier rules match every request this rule matches',
    explanation: 'Rules are tried top to bottom and the first match wins. The message names the earlier rules that take every request away from this one.',
  },
  RL3003: {
    name: 'missing-otherwise',
    severity: 'error',
    summary: 'some requests match no rule',
    explanation:
      'A route without `otherwise` must still decide every valid request. The message gives a request no rule matches; add `otherwise -> PLAN` (or `otherwise -> deny "…"`).',
  },
  RL3004: {
    name: 'assertion-violated',
    severity: 'error',
    summary: 'an assertion fails for a model some request can reach',
    explanation:
      'Assertions must hold for every model that can serve a request on any path, fallbacks, cascade steps, split arms and adaptive choices included. The message gives the request, the rule and the model that break it.',
  },
  RL3005: {
    name: 'context-window',
    severity: 'warning',
    summary: 'a model can receive more tokens than its context window',
    explanation:
      "On this rule's path the prompt can be larger than the model's window, typically a fallback with a smaller window than the primary. Bound the path with `prompt.tokens < N` or choose a model with a larger window.",
  },
  RL3006: {
    name: 'budget-exceeded',
    severity: 'error',
    summary: 'the worst-case cost of a plan exceeds `per_request`',
    explanation:
      'The worst case counts every model a plan may call (cascade steps, fallbacks, retries) with input tokens bounded by the path condition or the window and output by `max_tokens` or `max_output`.',
  },
  RL3007: {
    name: 'fallback-loop',
    severity: 'warning',
    summary: 'a fallback chain calls a model again after it failed',
    explanation:
      'A fallback runs when its primary fails; falling back to a model the primary already called repeats the failure (and its cost). Fall back to a different model or provider.',
  },
  RL3008: {
    name: 'graph-too-large',
    severity: 'error',
    summary: 'the decision graph grows too large to compile',
    explanation:
      'The fields named in the message are cut into so many regions that their combinations explode. Split the policy into named routes by one of those fields, or test fewer distinct constants.',
  },
  RL3009: {
    name: 'undecided',
    severity: 'error',
    summary: 'an analysis could neither prove nor refute a property',
    explanation:
      'Every analysis answers proved, refuted with a request, or undecided; undecided is never reported as proved (an assertion holding, a rule unreachable, every request covered). It is an error where a proof was required (assertions, coverage) and a warning for reachability. It marks a limit of the checker: report the policy.',
  },
} as const satisfies Record<string, DiagnosticKind>;

export type DiagnosticCode = keyof typeof CATALOGUE;

/** Another place that explains a diagnostic, e.g. the first of two duplicate declarations. */
export interface RelatedInformation {
  readonly file: string;
  readonly span: Span;
  readonly message: string;
}

/** A text edit in one file. */
export interface TextEdit {
  readonly file: string;
  readonly span: Span;
  readonly newText: string;
}

/** A machine-applicable fix: the editor offers it as a quick fix. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

/** A diagnostic. `span` is in UTF-16 offsets of `file`'s text. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly span: Span;
  readonly help?: string;
  readonly related?: readonly RelatedInformation[];
  readonly fix?: Fix;
  /** For analyses: a request that shows the problem. */
  readonly counterexample?: Readonly<Record<string, unknown>>;
}

/** Options of a diagnostic beyond code, place and message. */
export interface DiagnosticExtras {
  help?: string | undefined;
  related?: readonly RelatedInformation[] | undefined;
  fix?: Fix | undefined;
  severity?: Severity | undefined;
  counterexample?: Readonly<Record<string, unknown>> | undefined;
}

/** Builds a diagnostic with the catalogue's severity (unless overridden). */
export function diagnostic(code: DiagnosticCode, file: string, span: Span, message: string, extras: DiagnosticExtras = {}): Diagnostic {
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = {
    code,
    severity: extras.severity ?? CATALOGUE[code].severity,
    message,
    file,
    span,
  };
  if (extras.help !== undefined) d.help = extras.help;
  if (extras.related !== undefined && extras.related.length > 0) d.related = extras.related;
  if (extras.fix !== undefined) d.fix = extras.fix;
  if (extras.counterexample !== undefined) d.counterexample = extras.counterexample;
  return d;
}

/** Orders diagnostics by file, then position, then code, for stable output. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.span.start - b.span.start || a.span.end - b.span.end || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** True when any diagnostic is an error. */
export function hasErrors(list: readonly Diagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}
