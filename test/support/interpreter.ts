// The reference interpreter: a direct first-match walk over the AST, used only by tests.
// It shares nothing with the decision graph or the runtime's evaluator but the checked
// policy, so when both agree on every request the compiled graph is right.

import type * as A from '../../packages/dsl/src/ast.js';
import type { Policy, RouteInfo } from '../../packages/dsl/src/check/policy.js';

export type Scalar = string | number | boolean | (string | number | boolean)[];

/** The rules followed, from the entry route to the deciding rule; or no match. */
export type Interpretation = { kind: 'decided'; path: { route: string | null; index: number }[] } | { kind: 'no-match' };

/** Decides `request` (already valid: declared fields only, right types) by walking the AST. */
export function interpret(policy: Policy, request: Record<string, Scalar>, countTokens: (text: string) => number): Interpretation {
  const values = new Map<string, Scalar>();
  for (const [name, field] of policy.fields) {
    const given = request[name];
    if (given !== undefined) values.set(name, given);
    else if (field.default !== undefined) values.set(name, field.default as Scalar);
  }
  const path: { route: string | null; index: number }[] = [];
  let route: RouteInfo | undefined = policy.entryRoute;
  for (let hops = 0; route && hops < 100; hops++) {
    const index = route.node.rules.findIndex((rule) => rule.condition === undefined || truth(rule.condition, values, policy, countTokens));
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

function truth(expr: A.Expr, values: Map<string, Scalar>, policy: Policy, count: (t: string) => number): boolean {
  switch (expr.kind) {
    case 'Paren':
      return truth(expr.inner, values, policy, count);
    case 'And':
      return expr.operands.every((o) => truth(o, values, policy, count));
    case 'Or':
      return expr.operands.some((o) => truth(o, values, policy, count));
    case 'Not':
      return !truth(expr.operand, values, policy, count);
    case 'Implies':
      return !truth(expr.left, values, policy, count) || truth(expr.right, values, policy, count);
    case 'Literal':
      return expr.value.kind === 'Bool' && expr.value.value;
    case 'Path':
      return value(expr, values, policy, count) === true;
    case 'Compare': {
      const l = value(expr.left, values, policy, count);
      const r = value(expr.right, values, policy, count);
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
      const l = value(expr.left, values, policy, count);
      const r = value(expr.right, values, policy, count);
      const found = Array.isArray(r) && r.some((item) => item === l);
      return expr.negated ? !found : found;
    }
    case 'Contains': {
      const l = value(expr.left, values, policy, count);
      const r = value(expr.right, values, policy, count);
      return typeof l === 'string' && typeof r === 'string' && l.includes(r);
    }
    default:
      return false;
  }
}

function value(expr: A.Expr, values: Map<string, Scalar>, policy: Policy, count: (t: string) => number): Scalar | undefined {
  switch (expr.kind) {
    case 'Paren':
      return value(expr.inner, values, policy, count);
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
