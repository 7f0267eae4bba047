// Facts about plans the runtime reports: which models a plan can call, in order.

import type { Plan } from './ir.js';

/** The models a plan may call, first to last, without repeats (named routes not followed). */
export function planModels(plan: Plan, out: string[] = []): string[] {
  const add = (m: string): void => {
    if (!out.includes(m)) out.push(m);
  };
  switch (plan.kind) {
    case 'model':
      add(plan.model);
      break;
    case 'with':
      planModels(plan.plan, out);
      break;
    case 'fallback':
      planModels(plan.primary, out);
      planModels(plan.secondary, out);
      break;
    case 'cascade':
      for (const s of plan.steps) planModels(s, out);
      break;
    case 'try':
      planModels(plan.otherwise, out);
      break;
    case 'split':
      for (const a of plan.arms) planModels(a.plan, out);
      break;
    case 'choice':
      for (const c of plan.candidates) planModels(c, out);
      break;
    case 'deny':
    case 'route':
      break;
  }
  return out;
}

/** The model or tool a plan calls first (what `expect NAME` in a policy test compares). */
export function firstTarget(plan: Plan): string | undefined {
  switch (plan.kind) {
    case 'model':
      return plan.model;
    case 'with':
      return firstTarget(plan.plan);
    case 'fallback':
      return firstTarget(plan.primary);
    case 'cascade':
      return plan.steps[0] ? firstTarget(plan.steps[0]) : undefined;
    case 'try':
      return plan.tool;
    case 'choice':
      return plan.candidates[0] ? firstTarget(plan.candidates[0]) : undefined;
    default:
      return undefined;
  }
}
