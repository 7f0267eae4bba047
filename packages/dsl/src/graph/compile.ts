// Compiles a checked policy's routes into decision diagrams: each route's rules become
// one diagram (first match: rule i decides where its condition holds and no earlier
// one does), over variables shared by all routes and by the assertions (instantiated per
// model), so analyses can combine regions across routes and ask exact questions.

import { type Expr, type FieldType, type Model, type Operand, type Plan, readModel } from '@routelang/runtime';
import type * as A from '../ast.js';
import type { Policy, RouteInfo } from '../check/policy.js';
import type { Type } from '../check/types.js';
import { exprText } from '../format.js';
import { lowerExpr, lowerPlan } from '../lower.js';
import { Diagrams, FALSE, leaf, TRUE } from './diagram.js';
import { buildPartition } from './partition.js';

export interface CompiledRule {
  readonly node: A.Rule;
  readonly index: number;
  readonly condition: Expr | undefined;
  readonly text: string;
  readonly plan: Plan;
  /** Boolean diagram of the condition. */
  readonly when: number;
  /**
   * Boolean diagram of the inputs this rule decides (its condition, and no earlier one),
   * restricted to inputs that exist (`Compilation.consistent`).
   */
  readonly region: number;
}

export interface CompiledRoute {
  readonly name: string | null;
  readonly info: RouteInfo;
  readonly rules: readonly CompiledRule[];
  /** The route's decision diagram (rule leaves; FALSE where no rule matches). */
  readonly root: number;
}

export interface CompiledAssertion {
  readonly label: string | undefined;
  readonly node: A.AssertDecl;
  readonly file: string;
  readonly condition: Expr;
  /** Boolean diagram of the assertion for each model. */
  readonly perModel: ReadonlyMap<string, number>;
}

export interface Compilation {
  readonly policy: Policy;
  readonly fieldTypes: ReadonlyMap<string, FieldType>;
  readonly models: ReadonlyMap<string, Model>;
  readonly diagrams: Diagrams;
  /** The entry route under the key null, named routes under their names. */
  readonly routes: ReadonlyMap<string | null, CompiledRoute>;
  readonly assertions: readonly CompiledAssertion[];
  /** The first `text` field, whose `.tokens` the cost and context analyses bound. */
  readonly promptField: string | undefined;
  /**
   * The inputs that exist: assignments of `contains` variables some string can take (see
   * `Diagrams.consistency`). Analyses ask their questions within it.
   */
  readonly consistent: number;
}

/** The IR type of a checked type. */
export function fieldType(type: Type): FieldType {
  switch (type.kind) {
    case 'enum':
      return { kind: 'enum', members: [...type.members] };
    case 'list':
      return type.element.kind === 'enum'
        ? { kind: 'list', element: { kind: 'enum', members: [...type.element.members] } }
        : { kind: 'list', element: { kind: 'string' } };
    case 'bool':
    case 'int':
    case 'number':
    case 'string':
    case 'text':
    case 'duration':
    case 'money':
    case 'tokens':
    case 'percent':
      return { kind: type.kind };
    default:
      return { kind: 'string' };
  }
}

/** The IR model of a checked model. */
export function irModel(m: Policy['models'] extends ReadonlyMap<string, infer M> ? M : never): Model {
  return {
    name: m.name,
    provider: m.provider,
    id: m.id,
    inputPrice: m.inputPrice,
    outputPrice: m.outputPrice,
    context: m.context,
    ...(m.maxOutput !== undefined ? { maxOutput: m.maxOutput } : {}),
    deployment: m.deployment,
    regions: [...m.regions],
    tags: [...m.tags],
    ...(m.latencyMs !== undefined ? { latencyMs: m.latencyMs } : {}),
  };
}

/** Replaces `model.*` operands by the values of one model. */
export function instantiate(expr: Expr, model: Model): Expr {
  const op = (o: Operand): Operand => (o.kind === 'model' ? { kind: 'value', value: readModel(model, o.path) ?? false } : o);
  switch (expr.kind) {
    case 'const':
      return expr;
    case 'and':
    case 'or':
      return { kind: expr.kind, args: expr.args.map((a) => instantiate(a, model)) };
    case 'not':
      return { kind: 'not', arg: instantiate(expr.arg, model) };
    case 'implies':
      return { kind: 'implies', left: instantiate(expr.left, model), right: instantiate(expr.right, model) };
    case 'truthy':
      return { kind: 'truthy', operand: op(expr.operand) };
    case 'compare':
    case 'contains':
      return { ...expr, left: op(expr.left), right: op(expr.right) };
    case 'in':
      return { ...expr, left: op(expr.left), right: op(expr.right) };
  }
}

/**
 * First match over rule conditions: the diagram whose leaf is rule i where condition i holds
 * and no earlier one does, and each rule's region (where it decides). Built by halves —
 * first(rules) = first(left half) orElse first(right half) — with the regions read off the
 * finished diagram, so no prefix of the rule list is kept in the unique table.
 */
export function firstMatch(diagrams: Diagrams, whens: readonly number[]): { root: number; regions: number[] } {
  const root = firstMatchTo(
    diagrams,
    whens,
    whens.map((_, i) => leaf(i)),
  );
  const byLeaf = diagrams.leafRegions(
    root,
    whens.map((_, i) => leaf(i)),
  );
  return { root, regions: whens.map((_, i) => byLeaf.get(leaf(i)) ?? FALSE) };
}

/**
 * The first-match diagram whose outcome where rule i decides is `targets[i]` (a leaf, or a
 * diagram without FALSE terminals: FALSE means "no rule matched, try the next one").
 */
export function firstMatchTo(diagrams: Diagrams, whens: readonly number[], targets: readonly number[]): number {
  const build = (lo: number, hi: number): number => {
    if (hi - lo === 0) return FALSE;
    if (hi - lo === 1) return diagrams.ite(whens[lo] as number, targets[lo] as number, FALSE);
    const mid = (lo + hi) >> 1;
    return diagrams.orElse(build(lo, mid), build(mid, hi));
  };
  return build(0, whens.length);
}

/** Compiles every route of a checked, error-free policy. May throw `DiagramTooLarge`. */
export function compileRoutes(policy: Policy, maxNodes?: number, interrupted?: () => boolean): Compilation {
  const fieldTypes = new Map([...policy.fields].map(([name, f]) => [name, fieldType(f.type)]));
  const models = new Map([...policy.models].map(([name, m]) => [name, irModel(m)]));
  const routeInfos: RouteInfo[] = [...(policy.entryRoute ? [policy.entryRoute] : []), ...policy.routes.values()];
  const lowered = routeInfos.map((info) => ({
    info,
    rules: info.node.rules.map((rule, index) => ({
      node: rule,
      index,
      condition: rule.condition ? lowerExpr(rule.condition, policy) : undefined,
      text: rule.condition ? exprText(rule.condition) : 'otherwise',
      plan: lowerPlan(rule.plan, policy),
    })),
  }));
  const assertionExprs = policy.asserts.map((a) => ({ info: a, condition: lowerExpr(a.node.expr, policy) }));
  const instances = assertionExprs.flatMap((a) => [...models.values()].map((m) => instantiate(a.condition, m)));

  const promptField = [...policy.fields.values()].find((f) => f.type.kind === 'text')?.name;
  const extraBounds = new Map<string, number[]>();
  if (promptField) extraBounds.set(`${promptField}.tokens`, [...new Set([...models.values()].map((m) => m.context))]);

  const conditions = [...lowered.flatMap((r) => r.rules.flatMap((rule) => (rule.condition ? [rule.condition] : []))), ...instances];
  const partition = buildPartition(fieldTypes, conditions, extraBounds);
  const diagrams = new Diagrams(partition.vars, partition.keys, maxNodes, undefined, interrupted);

  const consistent = diagrams.consistency();
  const routes = new Map<string | null, CompiledRoute>();
  for (const { info, rules } of lowered) {
    const whens = rules.map((rule) => (rule.condition ? diagrams.fromExpr(rule.condition) : TRUE));
    const { root, regions } = firstMatch(diagrams, whens);
    const compiled: CompiledRule[] = rules.map((rule, i) => ({ ...rule, when: whens[i] as number, region: diagrams.and(regions[i] as number, consistent) }));
    routes.set(info.name ?? null, { name: info.name ?? null, info, rules: compiled, root });
  }

  const assertions: CompiledAssertion[] = assertionExprs.map(({ info, condition }) => ({
    label: info.label,
    node: info.node,
    file: info.file,
    condition,
    perModel: new Map([...models.values()].map((m) => [m.name, diagrams.fromExpr(instantiate(condition, m))])),
  }));
  return { policy, fieldTypes, models, diagrams, routes, assertions, promptField, consistent };
}
