// Facts about plans the runtime reports: which models a plan can call, in order.

import type { Plan } from './ir.js';

/** The plans directly inside a plan, in the order they may run (named routes not followed). */
export function subPlans(plan: Plan): readonly Plan[] {
  switch (plan.kind) {
    case 'with':
      return [plan.plan];
    case 'fallback':
      return [plan.primary, plan.secondary];
    case 'cascade':
      return plan.steps;
    case 'try':
      return [plan.otherwise];
    case 'split':
      return plan.arms.map((a) => a.plan);
    case 'rollout':
      return [plan.control, plan.candidate];
    case 'shadow':
      // The shadow model is a path too: assertions must hold for it.
      return [plan.plan, { kind: 'model', model: plan.shadow }];
    case 'choice':
      return plan.candidates;
    default:
      return [];
  }
}

/** The plan with each directly nested plan replaced by `f(sub, salt suffix)`; the suffixes are the executor's. */
export function mapSubPlans(plan: Plan, f: (sub: Plan, suffix: string) => Plan): Plan {
  switch (plan.kind) {
    case 'with':
      return { ...plan, plan: f(plan.plan, '') };
    case 'fallback':
      return { ...plan, primary: f(plan.primary, '/p'), secondary: f(plan.secondary, '/s') };
    case 'cascade':
      return { ...plan, steps: plan.steps.map((s, i) => f(s, `/c${i}`)) };
    case 'try':
      return { ...plan, otherwise: f(plan.otherwise, '/e') };
    case 'split':
      return { ...plan, arms: plan.arms.map((a, i) => ({ ...a, plan: f(a.plan, `/${i}`) })) };
    case 'rollout':
      return { ...plan, control: f(plan.control, '/control'), candidate: f(plan.candidate, '/candidate') };
    case 'shadow':
      return { ...plan, plan: f(plan.plan, '') };
    case 'choice':
      return { ...plan, candidates: plan.candidates.map((c, i) => f(c, `/k${i}`)) };
    default:
      return plan;
  }
}

/** Whether a plan has a split or a named route anywhere inside it (decide() must resolve it per request). */
export function needsResolving(plan: Plan): boolean {
  return plan.kind === 'split' || plan.kind === 'route' || subPlans(plan).some(needsResolving);
}

/** The models a plan may call, first to last, without repeats (named routes not followed). */
export function planModels(plan: Plan, out: string[] = []): string[] {
  if (plan.kind === 'model') {
    if (!out.includes(plan.model)) out.push(plan.model);
  } else {
    for (const sub of subPlans(plan)) planModels(sub, out);
  }
  return out;
}

/** The tools a plan may call (`try T else …`), without repeats. */
export function planTools(plan: Plan, out: string[] = []): string[] {
  if (plan.kind === 'try' && !out.includes(plan.tool)) out.push(plan.tool);
  for (const sub of subPlans(plan)) planTools(sub, out);
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
    case 'rollout':
      return firstTarget(plan.control);
    case 'shadow':
      return firstTarget(plan.plan);
    default:
      return undefined;
  }
}
