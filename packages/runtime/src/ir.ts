// The IR: the compiled policy artifact (`"format": "routelang/ir@1"`). Defined once, here,
// as zod schemas; the TypeScript types are inferred from them and the JSON Schema file
// (ir.schema.json) is generated from them. The runtime validates artifacts with a
// precompiled validator (no code generation at run time).

import { z } from 'zod';

export const IR_FORMAT = 'routelang/ir@1';

/** A value of a field: numbers are in base units (tokens, milliseconds, dollars, percent). */
export const Value = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export type Value = z.infer<typeof Value>;

export const ScalarKind = z.enum(['bool', 'int', 'number', 'string', 'text', 'duration', 'money', 'tokens', 'percent']);
export type ScalarKind = z.infer<typeof ScalarKind>;

/** The type of an input field. */
export const FieldType = z.union([
  z.object({ kind: ScalarKind }).strict(),
  z.object({ kind: z.literal('enum'), members: z.array(z.string()) }).strict(),
  z
    .object({
      kind: z.literal('list'),
      element: z.union([z.object({ kind: z.literal('string') }).strict(), z.object({ kind: z.literal('enum'), members: z.array(z.string()) }).strict()]),
    })
    .strict(),
]);
export type FieldType = z.infer<typeof FieldType>;

export const Field = z
  .object({
    name: z.string(),
    type: FieldType,
    default: Value.optional(),
    classifier: z.string().optional(),
  })
  .strict();
export type Field = z.infer<typeof Field>;

export const Model = z
  .object({
    name: z.string(),
    provider: z.string(),
    id: z.string(),
    /** Dollars per input token. */
    inputPrice: z.number().nonnegative(),
    /** Dollars per output token. */
    outputPrice: z.number().nonnegative(),
    context: z.number().int().positive(),
    maxOutput: z.number().int().positive().optional(),
    deployment: z.enum(['cloud', 'on_prem']),
    regions: z.array(z.string()),
    tags: z.array(z.string()),
    latencyMs: z.number().positive().optional(),
  })
  .strict();
export type Model = z.infer<typeof Model>;

/** A header value: written in the policy, or read from an environment variable when the router loads. */
export const ProviderValue = z.union([z.object({ value: z.string() }).strict(), z.object({ env: z.string() }).strict()]);
export type ProviderValue = z.infer<typeof ProviderValue>;

/**
 * How a provider is reached (`provider NAME { … }`). Secrets are never in the IR: only the
 * names of the environment variables that hold them.
 */
export const Provider = z
  .object({
    name: z.string(),
    protocol: z.enum(['openai', 'anthropic']),
    baseUrl: z.string(),
    apiKeyEnv: z.string().optional(),
    headers: z.record(z.string(), ProviderValue).optional(),
  })
  .strict();
export type Provider = z.infer<typeof Provider>;

export const Tool = z
  .object({ name: z.string(), kind: z.string(), timeoutMs: z.number().positive().optional(), cost: z.number().nonnegative().optional() })
  .strict();
export type Tool = z.infer<typeof Tool>;

export const Validator = z.union([
  z.object({ name: z.string(), kind: z.literal('extern'), function: z.string() }).strict(),
  z.object({ name: z.string(), kind: z.literal('schema'), path: z.string() }).strict(),
  z.object({ name: z.string(), kind: z.enum(['json', 'not_empty']) }).strict(),
]);
export type Validator = z.infer<typeof Validator>;

export const Classifier = z
  .object({
    name: z.string(),
    target: z.string(),
    extern: z.string().optional(),
    labels: z.array(z.object({ label: z.string(), examples: z.array(z.string()) }).strict()),
    default: z.string().optional(),
  })
  .strict();
export type Classifier = z.infer<typeof Classifier>;

// ---------------------------------------------------------------- conditions

/** What a comparison reads: a field (`prompt.tokens` is ["prompt", "tokens"]), a model property, or a constant. */
export const Operand = z.union([
  z.object({ kind: z.literal('field'), path: z.array(z.string()).min(1) }).strict(),
  z.object({ kind: z.literal('model'), path: z.array(z.string()) }).strict(),
  z.object({ kind: z.literal('value'), value: Value }).strict(),
]);
export type Operand = z.infer<typeof Operand>;

export const CompareOp = z.enum(['==', '!=', '<', '<=', '>', '>=']);
export type CompareOp = z.infer<typeof CompareOp>;

export type Expr =
  | { kind: 'const'; value: boolean }
  | { kind: 'and' | 'or'; args: Expr[] }
  | { kind: 'not'; arg: Expr }
  | { kind: 'implies'; left: Expr; right: Expr }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'in'; negated: boolean; left: Operand; right: Operand }
  | { kind: 'contains'; left: Operand; right: Operand }
  | { kind: 'truthy'; operand: Operand };

export const Expr: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal('const'), value: z.boolean() }).strict(),
    z.object({ kind: z.enum(['and', 'or']), args: z.array(Expr) }).strict(),
    z.object({ kind: z.literal('not'), arg: Expr }).strict(),
    z.object({ kind: z.literal('implies'), left: Expr, right: Expr }).strict(),
    z.object({ kind: z.literal('compare'), op: CompareOp, left: Operand, right: Operand }).strict(),
    z.object({ kind: z.literal('in'), negated: z.boolean(), left: Operand, right: Operand }).strict(),
    z.object({ kind: z.literal('contains'), left: Operand, right: Operand }).strict(),
    z.object({ kind: z.literal('truthy'), operand: Operand }).strict(),
  ]),
);

// ---------------------------------------------------------------- plans

export const CallOptions = z
  .object({
    timeoutMs: z.number().positive().optional(),
    maxTokens: z.number().int().positive().optional(),
    retries: z.number().int().min(0).max(10).optional(),
  })
  .strict();
export type CallOptions = z.infer<typeof CallOptions>;

export const ErrorClass = z.enum(['timeout', 'rate_limit', 'server_error', 'client_error', 'refusal', 'circuit_open', 'budget']);
export type ErrorClass = z.infer<typeof ErrorClass>;
/** What a fallback falls back on: an error class, or an upstream's HTTP status code. */
export const FallbackOn = z.union([ErrorClass, z.number().int().min(400).max(599)]);
export type FallbackOn = z.infer<typeof FallbackOn>;

export const Until = z.object({ validator: z.string(), op: z.enum(['>=', '>']), threshold: z.number().min(0).max(1) }).strict();
export type Until = z.infer<typeof Until>;

export type Plan =
  | { kind: 'model'; model: string; options?: CallOptions }
  /** `on`: the error classes and upstream HTTP status codes (400–599) that trigger the fallback; every failure when absent. */
  | { kind: 'fallback'; primary: Plan; secondary: Plan; on?: FallbackOn[] }
  | { kind: 'cascade'; steps: Plan[]; until: Until }
  | { kind: 'try'; tool: string; until?: Until; otherwise: Plan }
  | { kind: 'split'; field: string; arms: { plan: Plan; weight: number }[] }
  | ({ kind: 'rollout'; control: Plan; candidate: Plan } & RolloutSettings)
  | { kind: 'shadow'; plan: Plan; shadow: string; share: number; validator?: string }
  | { kind: 'choice'; strategy: 'fastest' | 'cheapest' | 'best'; candidates: Plan[]; validator?: string }
  | { kind: 'deny'; reason: string }
  | { kind: 'route'; route: string }
  | { kind: 'with'; plan: Plan; options: CallOptions };

/**
 * A rollout's settings (language.md, rollouts): its name (its identity in the state store),
 * the field whose value keeps a caller in one arm, the metric (a validator's score, the
 * share of calls without error, or within a latency or cost objective), the non-inferiority margin, the confidence, the candidate's
 * share at each stage (percent, increasing, the last 100), and guardrails.
 */
export const RolloutSettings = z
  .object({
    name: z.string(),
    field: z.string(),
    metric: z.union([
      z.object({ kind: z.literal('score'), validator: z.string() }).strict(),
      z.object({ kind: z.literal('errors') }).strict(),
      /** The share of calls answered within `ms` (a latency objective): 1 within, 0 slower or failed. */
      z
        .object({ kind: z.literal('latency_under'), ms: z.number().positive() })
        .strict(),
      /** The share of calls that cost at most `usd`: 1 within, 0 dearer or failed. */
      z
        .object({ kind: z.literal('cost_under'), usd: z.number().positive() })
        .strict(),
    ]),
    margin: z.number().min(0).lt(1),
    confidence: z.number().gt(0.5).lt(1),
    stages: z.array(z.number().gt(0).max(100)).min(1),
    minSamples: z.number().int().min(1).optional(),
    guards: z
      .object({ errorRate: z.number().min(0).max(1).optional(), latencyP95Ms: z.number().positive().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type RolloutSettings = z.infer<typeof RolloutSettings>;

export const Plan: z.ZodType<Plan> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal('model'), model: z.string(), options: CallOptions.optional() }).strict(),
    z.object({ kind: z.literal('fallback'), primary: Plan, secondary: Plan, on: z.array(FallbackOn).optional() }).strict(),
    z.object({ kind: z.literal('cascade'), steps: z.array(Plan), until: Until }).strict(),
    z.object({ kind: z.literal('try'), tool: z.string(), until: Until.optional(), otherwise: Plan }).strict(),
    z
      .object({ kind: z.literal('split'), field: z.string(), arms: z.array(z.object({ plan: Plan, weight: z.number().positive().max(100) }).strict()) })
      .strict(),
    RolloutSettings.extend({ kind: z.literal('rollout'), control: Plan, candidate: Plan }).strict(),
    z.object({ kind: z.literal('shadow'), plan: Plan, shadow: z.string(), share: z.number().gt(0).max(100), validator: z.string().optional() }).strict(),
    z
      .object({ kind: z.literal('choice'), strategy: z.enum(['fastest', 'cheapest', 'best']), candidates: z.array(Plan), validator: z.string().optional() })
      .strict(),
    z.object({ kind: z.literal('deny'), reason: z.string() }).strict(),
    z.object({ kind: z.literal('route'), route: z.string() }).strict(),
    z.object({ kind: z.literal('with'), plan: Plan, options: CallOptions }).strict(),
  ]),
);

// ---------------------------------------------------------------- the decision graph

/**
 * A test the graph makes at a node. Each variable cuts one field's domain into regions
 * numbered from 0; a node has one child per region.
 * - `interval`: a number cut at `bounds` (sorted). A bound `{ at, inclusive: false }` separates
 *   values `< at` from values `>= at`; `inclusive: true` separates `<= at` from `> at`. The
 *   region of a value is the number of bounds it lies beyond.
 * - `enum`: region = index of the member. `bool`: 0 false, 1 true.
 * - `literal`: region = index of the string among `literals`, or `literals.length` for any other.
 * - `contains`: 0 when the text does not contain `substring`, 1 when it does.
 * - `member`: 0 when the list field does not hold `literal`, 1 when it does.
 */
export const Variable = z.union([
  z
    .object({ kind: z.literal('interval'), field: z.array(z.string()).min(1), bounds: z.array(z.object({ at: z.number(), inclusive: z.boolean() }).strict()) })
    .strict(),
  z.object({ kind: z.literal('enum'), field: z.array(z.string()).min(1), members: z.array(z.string()) }).strict(),
  z.object({ kind: z.literal('bool'), field: z.array(z.string()).min(1) }).strict(),
  z.object({ kind: z.literal('literal'), field: z.array(z.string()).min(1), literals: z.array(z.string()) }).strict(),
  z.object({ kind: z.literal('contains'), field: z.array(z.string()).min(1), substring: z.string() }).strict(),
  z.object({ kind: z.literal('member'), field: z.array(z.string()).min(1), literal: z.string() }).strict(),
]);
export type Variable = z.infer<typeof Variable>;

/**
 * A reduced, ordered decision diagram. A reference is a node index (>= 0) or a leaf:
 * -1 means "no rule matches", -(2 + i) means rule i of the route decides.
 */
export const Graph = z
  .object({
    variables: z.array(Variable),
    nodes: z.array(z.object({ variable: z.number().int().nonnegative(), children: z.array(z.number().int()) }).strict()),
    root: z.number().int(),
  })
  .strict();
export type Graph = z.infer<typeof Graph>;

export const SourceLocation = z.object({ file: z.string(), line: z.number().int().positive(), column: z.number().int().positive() }).strict();
export type SourceLocation = z.infer<typeof SourceLocation>;

export const Rule = z
  .object({
    /** Absent for `otherwise`. */
    condition: Expr.optional(),
    /** The condition as written (formatted), for explanations and logs. */
    text: z.string().optional(),
    plan: Plan,
    label: z.string().optional(),
    source: SourceLocation,
  })
  .strict();
export type Rule = z.infer<typeof Rule>;

export const Route = z
  .object({
    /** null for the entry route. */
    name: z.string().nullable(),
    rules: z.array(Rule),
    graph: Graph,
  })
  .strict();
export type Route = z.infer<typeof Route>;

export const Assertion = z.object({ label: z.string().optional(), condition: Expr, source: SourceLocation }).strict();
export type Assertion = z.infer<typeof Assertion>;

export const Budget = z
  .object({
    perRequest: z.number().nonnegative().optional(),
    /** The most one shadow call may cost (a shadow's spend is not the request's). */
    perShadow: z.number().nonnegative().optional(),
    perTenant: z
      .object({ amount: z.number().nonnegative(), period: z.enum(['day', 'hour']) })
      .strict()
      .optional(),
  })
  .strict();
export type Budget = z.infer<typeof Budget>;

export const PolicyIR = z
  .object({
    format: z.literal(IR_FORMAT),
    policy: z.object({ name: z.string().nullable(), version: z.string().nullable(), source: z.string() }).strict(),
    inputs: z.array(Field),
    models: z.array(Model),
    /** Declared providers (absent when the policy declares none: the host brings adapters). */
    providers: z.array(Provider).optional(),
    tools: z.array(Tool),
    validators: z.array(Validator),
    classifiers: z.array(Classifier),
    /** The entry route first, then the named routes. */
    routes: z.array(Route),
    assertions: z.array(Assertion),
    budget: Budget.optional(),
  })
  .strict();
export type PolicyIR = z.infer<typeof PolicyIR>;

/** The IR's JSON Schema, generated from the zod schemas above. */
export function irJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PolicyIR, { target: 'draft-7', reused: 'ref', cycles: 'ref' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://routelang.dev/schema/ir@1.json', title: 'Routelang IR (routelang/ir@1)' };
}
