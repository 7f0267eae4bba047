// Lowering: checked AST conditions and plans into the IR's forms (@routelang/runtime).
// Names are resolved here for good: a path is a field, a bare name is an enum member
// (a string), `x in [a, b]` becomes `x == a or x == b`, numbers are in base units.
// Only called on policies without errors.

import type { CallOptions, ErrorClass, Expr, Operand, Plan, Until, Value } from '@routelang/runtime';
import type * as A from './ast.js';
import type { Policy } from './check/policy.js';

/** Lowers a condition. */
export function lowerExpr(expr: A.Expr, policy: Policy): Expr {
  switch (expr.kind) {
    case 'Error':
      return { kind: 'const', value: false };
    case 'Paren':
      return lowerExpr(expr.inner, policy);
    case 'And':
    case 'Or':
      return { kind: expr.kind === 'And' ? 'and' : 'or', args: expr.operands.map((o) => lowerExpr(o, policy)) };
    case 'Not':
      return { kind: 'not', arg: lowerExpr(expr.operand, policy) };
    case 'Implies':
      return { kind: 'implies', left: lowerExpr(expr.left, policy), right: lowerExpr(expr.right, policy) };
    case 'Literal':
      return expr.value.kind === 'Bool' ? { kind: 'const', value: expr.value.value } : { kind: 'truthy', operand: lowerOperand(expr, policy) };
    case 'Path':
    case 'Model':
      return { kind: 'truthy', operand: lowerOperand(expr, policy) };
    case 'Compare':
      return { kind: 'compare', op: expr.op, left: lowerOperand(expr.left, policy), right: lowerOperand(expr.right, policy) };
    case 'Contains':
      return { kind: 'contains', left: lowerOperand(expr.left, policy), right: lowerOperand(expr.right, policy) };
    case 'In': {
      const left = lowerOperand(expr.left, policy);
      const right = unparen(expr.right);
      if (right.kind === 'Literal' && right.value.kind === 'List') {
        const items = right.value.items.map(
          (item): Expr => ({ kind: 'compare', op: expr.negated ? '!=' : '==', left, right: { kind: 'value', value: literalValue(item) } }),
        );
        return { kind: expr.negated ? 'and' : 'or', args: items };
      }
      return { kind: 'in', negated: expr.negated, left, right: lowerOperand(right, policy) };
    }
  }
}

function unparen(expr: A.Expr): A.Expr {
  return expr.kind === 'Paren' ? unparen(expr.inner) : expr;
}

/** Lowers an operand: a field, `model.*`, or a constant. */
export function lowerOperand(expr: A.Expr, policy: Policy): Operand {
  const e = unparen(expr);
  switch (e.kind) {
    case 'Path': {
      const [first] = e.segments;
      if (first && policy.fields.has(first.name)) return { kind: 'field', path: e.segments.map((s) => s.name) };
      return { kind: 'value', value: first?.name ?? '' };
    }
    case 'Model':
      return { kind: 'model', path: e.segments.map((s) => s.name) };
    case 'Literal':
      return { kind: 'value', value: literalValue(e.value) };
    default:
      return { kind: 'value', value: false };
  }
}

/** A literal value in base units. */
export function literalValue(value: A.Value): Value {
  switch (value.kind) {
    case 'String':
    case 'Number':
    case 'Bool':
      return value.value;
    case 'Money':
      return value.amount;
    case 'Symbol':
      return value.name.name;
    case 'List':
      return value.items.map((i) => String(literalValue(i)));
    default:
      return false;
  }
}

/** Lowers a plan. */
export function lowerPlan(plan: A.Plan, policy: Policy): Plan {
  switch (plan.kind) {
    case 'Error':
      return { kind: 'deny', reason: 'invalid plan' };
    case 'ParenPlan':
      return lowerPlan(plan.inner, policy);
    case 'Ref':
      return policy.models.has(plan.name.name) ? { kind: 'model', model: plan.name.name } : { kind: 'route', route: plan.name.name };
    case 'With': {
      const inner = lowerPlan(plan.plan, policy);
      const options = lowerOptions(plan.options);
      // The innermost option wins, as it does at run time around composite plans.
      return inner.kind === 'model' ? { ...inner, options: { ...options, ...inner.options } } : { kind: 'with', plan: inner, options };
    }
    case 'Fallback': {
      const lowered: Plan = { kind: 'fallback', primary: lowerPlan(plan.primary, policy), secondary: lowerPlan(plan.secondary, policy) };
      return plan.on ? { ...lowered, on: plan.on.map((o) => (o.kind === 'Number' ? o.value : (o.name as ErrorClass))) } : lowered;
    }
    case 'Cascade':
      return { kind: 'cascade', steps: plan.steps.map((s) => lowerPlan(s, policy)), until: lowerUntil(plan.until) };
    case 'Try': {
      const lowered: Plan = { kind: 'try', tool: plan.tool.name, otherwise: lowerPlan(plan.otherwise, policy) };
      return plan.until ? { ...lowered, until: lowerUntil(plan.until) } : lowered;
    }
    case 'Split':
      return {
        kind: 'split',
        field: plan.field.segments.map((s) => s.name).join('.'),
        arms: plan.arms.map((a) => ({ plan: lowerPlan(a.plan, policy), weight: a.weight.kind === 'Number' ? a.weight.value : 0 })),
      };
    case 'Rollout':
      return lowerRollout(plan, policy);
    case 'Shadow':
      return {
        kind: 'shadow',
        plan: lowerPlan(plan.plan, policy),
        shadow: plan.shadow.name,
        share: plan.share.value,
        ...(plan.by ? { validator: plan.by.name } : {}),
      };
    case 'Choice': {
      const lowered: Plan = { kind: 'choice', strategy: plan.strategy, candidates: plan.candidates.map((c) => lowerPlan(c, policy)) };
      return plan.by ? { ...lowered, validator: plan.by.name } : lowered;
    }
    case 'Deny':
      return { kind: 'deny', reason: plan.reason.value };
  }
}

/** A rollout whose settings the checker accepted (missing ones get the documented defaults). */
function lowerRollout(plan: A.RolloutPlan, policy: Policy): Plan {
  const prop = (name: string): A.Value | undefined => plan.properties.find((p) => p.key.name === name)?.value;
  const num = (v: A.Value | undefined): number | undefined => (v?.kind === 'Number' ? v.value : undefined);
  const arm = (role: string): Plan => {
    const found = plan.arms.find((a) => a.role.name === role);
    return found ? lowerPlan(found.plan, policy) : { kind: 'deny', reason: `the rollout has no ${role}` };
  };
  const metric = prop('metric');
  const stages = prop('stages');
  const guard = prop('guard');
  const guards: { errorRate?: number; latencyP95Ms?: number } = {};
  if (guard?.kind === 'Object') {
    for (const e of guard.entries) {
      const v = num(e.value);
      if (v === undefined) continue;
      if (e.key.name === 'errors') guards.errorRate = v / 100;
      else if (e.key.name === 'latency_p95') guards.latencyP95Ms = v;
    }
  }
  const minSamples = num(prop('min_samples'));
  return {
    kind: 'rollout',
    name: plan.name.value,
    field: plan.field.segments.map((s) => s.name).join('.'),
    control: arm('control'),
    candidate: arm('candidate'),
    metric: (() => {
      if (metric?.kind === 'Symbol')
        return metric.name.name === 'errors' ? { kind: 'errors' as const } : { kind: 'score' as const, validator: metric.name.name };
      const objective = metric?.kind === 'Object' ? metric.entries[0] : undefined;
      if (objective?.key.name === 'latency_under' && objective.value.kind === 'Number') return { kind: 'latency_under' as const, ms: objective.value.value };
      if (objective?.key.name === 'cost_under' && objective.value.kind === 'Money') return { kind: 'cost_under' as const, usd: objective.value.amount };
      return { kind: 'errors' as const };
    })(),
    margin: (() => {
      const m = prop('margin');
      return m?.kind === 'Number' ? (m.unit === 'percent' ? m.value / 100 : m.value) : 0;
    })(),
    confidence: (num(prop('confidence')) ?? 95) / 100,
    stages: stages?.kind === 'List' ? stages.items.flatMap((i) => (i.kind === 'Number' ? [i.value] : [])) : [100],
    ...(minSamples !== undefined ? { minSamples } : {}),
    ...(Object.keys(guards).length > 0 ? { guards } : {}),
  };
}

function lowerUntil(until: A.UntilClause): Until {
  return { validator: until.validator.name, op: until.op, threshold: until.threshold.kind === 'Number' ? until.threshold.value : 1 };
}

function lowerOptions(options: A.ObjectLit): CallOptions {
  const out: { timeoutMs?: number; maxTokens?: number; retries?: number } = {};
  for (const entry of options.entries) {
    if (entry.value.kind !== 'Number') continue;
    if (entry.key.name === 'timeout') out.timeoutMs = entry.value.value;
    else if (entry.key.name === 'max_tokens') out.maxTokens = entry.value.value;
    else if (entry.key.name === 'retries') out.retries = entry.value.value;
  }
  return out;
}
