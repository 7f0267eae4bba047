// The reference interpreter: a direct first-match walk over the AST, used only by tests.
// It shares nothing with the decision graph or the runtime's evaluator but the checked
// policy, so when both agree on every request the compiled graph is right.

import type * as A from '../../packages/dsl/src/ast.js';
import type { ModelInfo, Policy, RouteInfo } from '../../packages/dsl/src/check/policy.js';

export type Scalar = string | number | boolean | (string | number | boolean)[];

/** The rules followed, from the entry route to the deciding rule; or no match. */
export type Interpretation = { kind: 'decided'; path: { route: string | null; index: number }[] } | { kind: 'no-match' };

/** The request's field values, with declared defaults filled in. */
export function fieldValues(policy: Policy, request: Record<string, Scalar>): Map<string, Scalar> {
  const values = new Map<string, Scalar>();
  for (const [name, field] of policy.fields) {
    const given = request[name];
    if (given !== undefined) values.set(name, given);
    else if (field.default !== undefined) values.set(name, field.default as Scalar);
  }
  return values;
}

/** The index of the first rule of `route` that matches, or -1. */
export function matchRule(policy: Policy, route: RouteInfo, values: Map<string, Scalar>, countTokens: (text: string) => number): number {
  return route.node.rules.findIndex((rule) => rule.condition === undefined || truth(rule.condition, values, policy, countTokens));
}

/** Whether `expr` holds for these values, with `model` (when given) the model serving the request. */
export function holds(expr: A.Expr, values: Map<string, Scalar>, policy: Policy, countTokens: (text: string) => number, model?: ModelInfo): boolean {
  return truth(expr, values, policy, countTokens, model);
}

/** Decides `request` (already valid: declared fields only, right types) by walking the AST. */
export function interpret(policy: Policy, request: Record<string, Scalar>, countTokens: (text: string) => number): Interpretation {
  const values = fieldValues(policy, request);
  const path: { route: string | null; index: number }[] = [];
  let route: RouteInfo | undefined = policy.entryRoute;
  for (let hops = 0; route && hops < 100; hops++) {
    const index = matchRule(policy, route, values, countTokens);
    if (index < 0) return { kind: 'no-match' };
    path.push({ route: route.name ?? null, index });
    const plan = unwrap((route.node.rules[index] as A.Rule).plan);
    if (plan.kind === 'Ref' && policy.routes.has(plan.name.name)) {
      route = policy.routes.get(plan.name.name);
      continue;
    }
    return { kind: 'decided', path };
  }
  return { kind: 'no-match' };
}

function unwrap(plan: A.Plan): A.Plan {
  return plan.kind === 'ParenPlan' ? unwrap(plan.inner) : plan;
}

function truth(expr: A.Expr, values: Map<string, Scalar>, policy: Policy, count: (t: string) => number, model?: ModelInfo): boolean {
  switch (expr.kind) {
    case 'Paren':
      return truth(expr.inner, values, policy, count, model);
    case 'And':
      return expr.operands.every((o) => truth(o, values, policy, count, model));
    case 'Or':
      return expr.operands.some((o) => truth(o, values, policy, count, model));
    case 'Not':
      return !truth(expr.operand, values, policy, count, model);
    case 'Implies':
      return !truth(expr.left, values, policy, count, model) || truth(expr.right, values, policy, count, model);
    case 'Literal':
      return expr.value.kind === 'Bool' && expr.value.value;
    case 'Path':
      return value(expr, values, policy, count, model) === true;
    case 'Compare': {
      const l = value(expr.left, values, policy, count, model);
      const r = value(expr.right, values, policy, count, model);
      switch (expr.op) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return (l as number) < (r as number);
        case '<=':
          return (l as number) <= (r as number);
        case '>':
          return (l as number) > (r as number);
        case '>=':
          return (l as number) >= (r as number);
      }
      return false;
    }
    case 'In': {
      const l = value(expr.left, values, policy, count, model);
      const r = value(expr.right, values, policy, count, model);
      const found = Array.isArray(r) && r.some((item) => item === l);
      return expr.negated ? !found : found;
    }
    case 'Contains': {
      const l = value(expr.left, values, policy, count, model);
      const r = value(expr.right, values, policy, count, model);
      return typeof l === 'string' && typeof r === 'string' && l.includes(r);
    }
    default:
      return false;
  }
}

function value(expr: A.Expr, values: Map<string, Scalar>, policy: Policy, count: (t: string) => number, model?: ModelInfo): Scalar | undefined {
  switch (expr.kind) {
    case 'Paren':
      return value(expr.inner, values, policy, count, model);
    case 'Model': {
      if (!model) return undefined;
      const [property] = expr.segments;
      if (!property) return model.name;
      switch (property.name) {
        case 'deployment':
          return model.deployment;
        case 'tags':
          return [...model.tags];
        case 'regions':
          return [...model.regions];
        case 'provider':
          return model.provider;
        case 'context':
          return model.context;
        default:
          return undefined;
      }
    }
    case 'Path': {
      const [first, second] = expr.segments;
      if (!first) return undefined;
      if (!policy.fields.has(first.name)) return first.name; // an enum member written bare
      const v = values.get(first.name);
      if (!second) return v;
      if (typeof v !== 'string') return undefined;
      return second.name === 'tokens' ? count(v) : [...v].length;
    }
    case 'Literal': {
      const lit = expr.value;
      switch (lit.kind) {
        case 'String':
        case 'Number':
        case 'Bool':
          return lit.value;
        case 'Money':
          return lit.amount;
        case 'List':
          return lit.items.map((i) =>
            i.kind === 'Symbol' ? i.name.name : i.kind === 'String' || i.kind === 'Number' || i.kind === 'Bool' ? i.value : i.kind === 'Money' ? i.amount : '',
          );
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
