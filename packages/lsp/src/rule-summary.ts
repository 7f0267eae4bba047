// What each rule can do, read off the compiled decision graph: the most a request it decides
// can cost (prompts bounded by the rule's own conditions and the models' windows) and the
// models it can reach (through fallbacks, cascades, splits, choices and named routes).
// Hover and inlay hints show these.

import { type Compilation, type CostBound, decidingRules, dollars, plannedCalls, worstCost } from '@routelang/dsl';

/** One rule's reach. */
export interface RuleSummary {
  /** Worst-case dollars per request over every input the rule decides. */
  readonly worstCost: number;
  /** How the worst case adds up, for the most expensive input. */
  readonly breakdown: readonly string[];
  /** Every model a request decided by this rule may call, in first-seen order. */
  readonly models: readonly string[];
  /** Whether the rule ends in `deny` on some input. */
  readonly denies: boolean;
}

/** Summaries keyed by the rule's AST node (`A.Rule`); rules that decide nothing are absent. */
export function summariseRules(c: Compilation): Map<object, RuleSummary> {
  const acc = new Map<object, { cost: CostBound; models: string[]; denies: boolean }>();
  for (const d of decidingRules(c)) {
    const cost = worstCost(c, d.plan, d.region, d.inherited);
    const models = plannedCalls(d.plan, d.inherited).map((call) => call.model);
    // The cost belongs to every rule on the chain: the entry rule that continued into a
    // named route and the route's rule that chose the plan.
    for (const step of d.chain) {
      const node = step.rule.node;
      const seen = acc.get(node);
      if (!seen) {
        acc.set(node, { cost, models: [...new Set(models)], denies: d.plan.kind === 'deny' });
        continue;
      }
      if (cost.total > seen.cost.total) seen.cost = cost;
      for (const m of models) if (!seen.models.includes(m)) seen.models.push(m);
      seen.denies ||= d.plan.kind === 'deny';
    }
  }
  const out = new Map<object, RuleSummary>();
  for (const [node, s] of acc) out.set(node, { worstCost: s.cost.total, breakdown: s.cost.parts, models: s.models, denies: s.denies });
  return out;
}

/** A rule's worst case as the editor shows it after the rule (`≤ $0.016`, `denies`, `$0`). */
export function costLabel(summary: RuleSummary): string {
  return summary.models.length === 0 ? (summary.denies ? 'denies' : '$0') : `≤ ${dollars(summary.worstCost)}`;
}
