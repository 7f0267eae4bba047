// Sticky, deterministic A/B splits: the arm is chosen from a hash of the split field's
// value (FNV-1a, 32 bits) salted with the split's place in the policy, so one user always
// lands in the same arm of a split and different splits are independent.

import type { Plan, Value } from './ir.js';
import { mapSubPlans } from './plans.js';

/** FNV-1a over the UTF-16 code units of `text`. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The index of the arm a value falls in, for weights (percentages) that add up to 100. */
export function splitArm(weights: readonly number[], value: Value | undefined, salt: string): number {
  const key = `${salt}\u0000${Array.isArray(value) ? value.join('\u0001') : String(value)}`;
  // 10,000 buckets: weights are given to 1/100 of a percent.
  const bucket = fnv1a(key) % 10_000;
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += Math.round((weights[i] as number) * 100);
    if (bucket < cumulative) return i;
  }
  return weights.length - 1;
}

/**
 * The plan with every split replaced by the arm `read` selects, at any depth. The salts are
 * the executor's (`/p`, `/s`, `/e`, `/c0`, `/k0`, `/0`), so an arm chosen here is the arm
 * the executor would choose.
 */
export function resolveSplits(plan: Plan, read: (field: string) => Value | undefined, salt: string): Plan {
  if (plan.kind === 'split') {
    const i = splitArm(
      plan.arms.map((a) => a.weight),
      read(plan.field),
      salt,
    );
    const arm = plan.arms[i];
    return arm ? resolveSplits(arm.plan, read, `${salt}/${i}`) : plan;
  }
  return mapSubPlans(plan, (sub, suffix) => resolveSplits(sub, read, `${salt}${suffix}`));
}
