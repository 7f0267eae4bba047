// The abstract syntax tree. Every node carries the span of source text it came from,
// so diagnostics, the formatter and the language server point at exact places.
// The parser builds it (with error recovery: `Error*` nodes stand where text was unusable);
// later stages read it and never mutate it.

import type { Span } from './source.js';

interface NodeBase {
  readonly span: Span;
}

/** A name as written: an identifier, or a keyword used as a name after `.` or as a key. */
export interface Ident extends NodeBase {
  readonly kind: 'Ident';
  readonly name: string;
}

export interface StringLit extends NodeBase {
  readonly kind: 'String';
  /** The decoded value. */
  readonly value: string;
  /** The literal as written, quotes included. */
  readonly raw: string;
}

/** The unit a number was written with. `count` is `k`/`M` (thousands, millions). */
export type NumberUnit = 'none' | 'count' | 'duration' | 'percent';

export interface NumberLit extends NodeBase {
  readonly kind: 'Number';
  /** The value in base units: plain numbers as written, `8k` = 8000, durations in milliseconds, `90%` = 90. */
  readonly value: number;
  readonly unit: NumberUnit;
  readonly raw: string;
}

/** `$1.50`, `$0.15 per 1M`, `$200 per day`. `amount` is in US dollars. */
export interface MoneyLit extends NodeBase {
  readonly kind: 'Money';
  readonly amount: number;
  readonly raw: string;
  /** `per 1M` (a NumberLit) or `per day` (an Ident). */
  readonly per?: NumberLit | Ident;
}

export interface BoolLit extends NodeBase {
  readonly kind: 'Bool';
  readonly value: boolean;
}

export interface ListLit extends NodeBase {
  readonly kind: 'List';
  readonly items: readonly Value[];
}

export interface ObjectEntry extends NodeBase {
  readonly kind: 'Entry';
  readonly key: Ident;
  readonly value: Value;
}

export interface ObjectLit extends NodeBase {
  readonly kind: 'Object';
  readonly entries: readonly ObjectEntry[];
}

/** A bare name used as a value (an enum member such as `on_prem`). */
export interface SymbolValue extends NodeBase {
  readonly kind: 'Symbol';
  readonly name: Ident;
}

/** `env("NAME")`: a value read from the environment where the policy is served (secrets). */
export interface CallValue extends NodeBase {
  readonly kind: 'Call';
  readonly callee: Ident;
  readonly argument: StringLit;
}

/** Where the parser could not make sense of a value, expression or plan. */
export interface ErrorNode extends NodeBase {
  readonly kind: 'Error';
}

export type Value = StringLit | NumberLit | MoneyLit | BoolLit | ListLit | ObjectLit | SymbolValue | CallValue | ErrorNode;

// ---------------------------------------------------------------- expressions

/** `a.b.c`: a field, a derived value (`prompt.tokens`), `model.*`, or a bare enum member. */
export interface PathExpr extends NodeBase {
  readonly kind: 'Path';
  readonly segments: readonly Ident[];
}

/** The keyword `model` (the model serving the request), optionally followed by `.property`. */
export interface ModelExpr extends NodeBase {
  readonly kind: 'Model';
  readonly keyword: Span;
  readonly segments: readonly Ident[];
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface CompareExpr extends NodeBase {
  readonly kind: 'Compare';
  readonly op: CompareOp;
  readonly opSpan: Span;
  readonly left: Expr;
  readonly right: Expr;
}

/** `x in [..]`, `x not in [..]`, `x in LIST_FIELD`. */
export interface InExpr extends NodeBase {
  readonly kind: 'In';
  readonly negated: boolean;
  readonly left: Expr;
  readonly right: Expr;
}

export interface ContainsExpr extends NodeBase {
  readonly kind: 'Contains';
  readonly left: Expr;
  readonly right: Expr;
}

export interface NotExpr extends NodeBase {
  readonly kind: 'Not';
  readonly operand: Expr;
}

/** `and` / `or` chains are n-ary so that long chains do not make deep trees. */
export interface LogicalExpr extends NodeBase {
  readonly kind: 'And' | 'Or';
  readonly operands: readonly Expr[];
}

export interface ImpliesExpr extends NodeBase {
  readonly kind: 'Implies';
  readonly left: Expr;
  readonly right: Expr;
}

/** `( e )`: kept so the formatter can keep the author's parentheses. */
export interface ParenExpr extends NodeBase {
  readonly kind: 'Paren';
  readonly inner: Expr;
}

export interface LiteralExpr extends NodeBase {
  readonly kind: 'Literal';
  readonly value: StringLit | NumberLit | MoneyLit | BoolLit | ListLit;
}

export type Expr = PathExpr | ModelExpr | CompareExpr | InExpr | ContainsExpr | NotExpr | LogicalExpr | ImpliesExpr | ParenExpr | LiteralExpr | ErrorNode;

// ---------------------------------------------------------------- plans

/** A model or a named route, resolved by the checker. */
export interface RefPlan extends NodeBase {
  readonly kind: 'Ref';
  readonly name: Ident;
}

export interface WithPlan extends NodeBase {
  readonly kind: 'With';
  readonly plan: Plan;
  readonly options: ObjectLit;
}

export interface FallbackPlan extends NodeBase {
  readonly kind: 'Fallback';
  readonly primary: Plan;
  readonly secondary: Plan;
  /** `on [timeout, rate_limit, 503]`: the error classes and HTTP status codes that trigger the fallback; all when absent. */
  readonly on?: readonly (Ident | NumberLit)[];
}

/** `until V >= t` */
export interface UntilClause extends NodeBase {
  readonly kind: 'Until';
  readonly validator: Ident;
  readonly op: '>=' | '>';
  readonly threshold: NumberLit | ErrorNode;
}

export interface CascadePlan extends NodeBase {
  readonly kind: 'Cascade';
  readonly steps: readonly Plan[];
  readonly until: UntilClause;
}

export interface TryPlan extends NodeBase {
  readonly kind: 'Try';
  readonly tool: Ident;
  readonly until?: UntilClause;
  readonly otherwise: Plan;
}

export interface SplitArm extends NodeBase {
  readonly kind: 'Arm';
  readonly plan: Plan;
  readonly weight: NumberLit | ErrorNode;
}

export interface SplitPlan extends NodeBase {
  readonly kind: 'Split';
  readonly field: PathExpr;
  readonly arms: readonly SplitArm[];
}

/** `control -> P` or `candidate -> Q` inside a rollout. */
export interface RolloutArm extends NodeBase {
  readonly kind: 'RolloutArm';
  readonly role: Ident;
  readonly plan: Plan;
}

/**
 * `rollout "NAME" by FIELD { control -> P  candidate -> Q  metric = V  margin = 0.02
 * confidence = 95%  stages = [5%, 25%, 50%, 100%]  guard = {…}  min_samples = 50 }`.
 */
export interface RolloutPlan extends NodeBase {
  readonly kind: 'Rollout';
  readonly name: StringLit;
  readonly field: PathExpr;
  readonly arms: readonly RolloutArm[];
  readonly properties: readonly Property[];
}

/** `PLAN shadow MODEL 10% [by V]`: also sends a share of requests to MODEL in the background, scored by V. */
export interface ShadowPlan extends NodeBase {
  readonly kind: 'Shadow';
  readonly plan: Plan;
  readonly shadow: Ident;
  readonly share: NumberLit;
  readonly by?: Ident;
}

export interface ChoicePlan extends NodeBase {
  readonly kind: 'Choice';
  readonly strategy: 'fastest' | 'cheapest' | 'best';
  readonly candidates: readonly Plan[];
  /** The validator of `best [...] by V`. */
  readonly by?: Ident;
}

export interface DenyPlan extends NodeBase {
  readonly kind: 'Deny';
  readonly reason: StringLit;
}

export interface ParenPlan extends NodeBase {
  readonly kind: 'ParenPlan';
  readonly inner: Plan;
}

export type Plan =
  | RefPlan
  | WithPlan
  | FallbackPlan
  | CascadePlan
  | TryPlan
  | SplitPlan
  | RolloutPlan
  | ShadowPlan
  | ChoicePlan
  | DenyPlan
  | ParenPlan
  | ErrorNode;

// ---------------------------------------------------------------- declarations

export interface PolicyHeader extends NodeBase {
  readonly kind: 'Policy';
  readonly name: Ident;
  readonly version?: StringLit;
}

export interface ImportDecl extends NodeBase {
  readonly kind: 'Import';
  readonly path: StringLit;
}

export interface EnumDecl extends NodeBase {
  readonly kind: 'Enum';
  readonly name: Ident;
  readonly members: readonly Ident[];
}

export interface NamedType extends NodeBase {
  readonly kind: 'NamedType';
  readonly name: Ident;
  /** `list<T>` */
  readonly args: readonly TypeExpr[];
}

export interface InlineEnumType extends NodeBase {
  readonly kind: 'InlineEnum';
  readonly members: readonly Ident[];
}

export type TypeExpr = NamedType | InlineEnumType | ErrorNode;

export interface FieldDecl extends NodeBase {
  readonly kind: 'Field';
  readonly name: Ident;
  readonly type: TypeExpr;
  readonly default?: Value;
  readonly from?: Ident;
}

export interface InputDecl extends NodeBase {
  readonly kind: 'Input';
  readonly fields: readonly FieldDecl[];
}

export interface Property extends NodeBase {
  readonly kind: 'Property';
  readonly key: Ident;
  readonly value: Value;
}

export interface ModelDecl extends NodeBase {
  readonly kind: 'ModelDecl';
  readonly name: Ident;
  readonly properties: readonly Property[];
}

/** `provider NAME { protocol = openai  base_url = "…"  api_key = env("…") }`: how a provider is reached. */
export interface ProviderDecl extends NodeBase {
  readonly kind: 'ProviderDecl';
  readonly name: Ident;
  readonly properties: readonly Property[];
}

export interface ToolDecl extends NodeBase {
  readonly kind: 'ToolDecl';
  readonly name: Ident;
  readonly properties: readonly Property[];
}

export type ValidatorSpec =
  | { readonly kind: 'extern'; readonly name: StringLit; readonly span: Span }
  | { readonly kind: 'schema'; readonly path: StringLit; readonly span: Span }
  | { readonly kind: 'builtin'; readonly name: Ident; readonly span: Span };

export interface ValidatorDecl extends NodeBase {
  readonly kind: 'ValidatorDecl';
  readonly name: Ident;
  readonly spec: ValidatorSpec | ErrorNode;
}

export interface ClassifierLabel extends NodeBase {
  readonly kind: 'Label';
  readonly label: Ident;
  readonly examples: readonly StringLit[];
}

export interface ClassifierDecl extends NodeBase {
  readonly kind: 'ClassifierDecl';
  readonly name: Ident;
  readonly target: Ident;
  /** `= extern "name"`: a host-provided classifier. */
  readonly extern?: StringLit;
  readonly labels: readonly ClassifierLabel[];
  readonly default?: Ident;
}

export interface Rule extends NodeBase {
  readonly kind: 'Rule';
  /** Absent for `otherwise`. */
  readonly condition?: Expr;
  readonly plan: Plan;
  readonly label?: StringLit;
}

export interface RouteDecl extends NodeBase {
  readonly kind: 'RouteDecl';
  /** Absent for the entry route. */
  readonly name?: Ident;
  readonly keyword: Span;
  readonly rules: readonly Rule[];
}

export interface AssertDecl extends NodeBase {
  readonly kind: 'AssertDecl';
  readonly label?: StringLit;
  readonly expr: Expr;
}

export interface BudgetItem extends NodeBase {
  readonly kind: 'BudgetItem';
  readonly key: Ident;
  readonly limit: Value;
}

export interface BudgetDecl extends NodeBase {
  readonly kind: 'BudgetDecl';
  readonly items: readonly BudgetItem[];
}

export type Expectation =
  | { readonly kind: 'ExpectTarget'; readonly target: Ident; readonly span: Span }
  | { readonly kind: 'ExpectDeny'; readonly span: Span }
  | { readonly kind: 'ExpectBecause'; readonly label: StringLit; readonly span: Span }
  | { readonly kind: 'ExpectPlan'; readonly plan: Plan; readonly span: Span };

export interface TestDecl extends NodeBase {
  readonly kind: 'TestDecl';
  readonly name: StringLit;
  readonly given: ObjectLit;
  readonly expectations: readonly Expectation[];
}

export type Declaration =
  | PolicyHeader
  | ImportDecl
  | EnumDecl
  | InputDecl
  | ModelDecl
  | ProviderDecl
  | ToolDecl
  | ValidatorDecl
  | ClassifierDecl
  | RouteDecl
  | AssertDecl
  | BudgetDecl
  | TestDecl;

/** A comment, kept for the formatter. */
export interface Comment {
  readonly text: string;
  readonly span: Span;
  readonly block: boolean;
}

/** One parsed file. */
export interface Module {
  readonly kind: 'Module';
  readonly file: string;
  readonly declarations: readonly Declaration[];
  readonly comments: readonly Comment[];
  readonly span: Span;
  /**
   * Spans of declarations the parser had to repair. Their trees are partial, so later
   * stages do not report name or type problems inside them (those would be echoes).
   */
  readonly recovered: readonly Span[];
}
