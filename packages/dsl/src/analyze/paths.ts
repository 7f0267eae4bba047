// What the analyses ask of a compilation: the region each rule decides, followed through
// named routes; the models a plan may call with their effective call options; and the
// largest prompt a region admits.

import { type CallOptions, intervalRegion, type Plan, subPlans } from '@routelang/runtime';
import type { Compilation, CompiledRule } from '../graph/compile.js';
import { FALSE, TRUE } from '../graph/diagram.js';

/** A rule that decides on some inputs, with those inputs (through named routes). */
export interface DecidingRule {
  /** The entry route's rule (where diagnostics point). */
  readonly entry: CompiledRule;
  /** The rules followed, ending with the one whose plan runs. */
  readonly chain: readonly { route: string | null; rule: CompiledRule }[];
  /** The inputs on which this chain decides. */
  readonly region: number;
  readonly plan: Plan;
}

/** Every (chain of rules → plan) with a non-empty region, following named routes. */
export function decidingRules(c: Compilation): DecidingRule[] {
  const out: DecidingRule[] = [];
  const entry = c.routes.get(null);
  if (!entry) return out;
  const follow = (entryRule: CompiledRule, chain: { route: string | null; rule: CompiledRule }[], region: number, plan: Plan, depth: number): void => {
    if (plan.kind !== 'route') {
      out.push({ entry: entryRule, chain, region, plan });
      return;
    }
    const route = c.routes.get(plan.route);
    if (!route || depth > c.routes.size) return;
    for (const rule of route.rules) {
      const sub = c.diagrams.and(region, rule.region);
      if (sub !== FALSE) follow(entryRule, [...chain, { route: route.name, rule }], sub, rule.plan, depth + 1);
    }
  };
  for (const rule of entry.rules) {
    if (rule.region !== FALSE) follow(rule, [{ route: null, rule }], rule.region, rule.plan, 0);
  }
  return out;
}

/**
 * The inputs that reach each route: everything for the entry route; for a named route,
 * the union of the regions of the rules that continue in it (through other routes too).
 */
export function reachRegions(c: Compilation): Map<string | null, number> {
  const reach = new Map<string | null, number>([[null, TRUE]]);
  for (const d of decidingRulesIncludingRoutes(c)) {
    if (d.plan.kind !== 'route') continue;
    reach.set(d.plan.route, c.diagrams.or(reach.get(d.plan.route) ?? FALSE, d.region));
  }
  return reach;
}

/** Like `decidingRules`, but also yields the rules whose plan continues in a route. */
function decidingRulesIncludingRoutes(c: Compilation): DecidingRule[] {
  const out: DecidingRule[] = [];
  const entry = c.routes.get(null);
  if (!entry) return out;
  const visit = (entryRule: CompiledRule, chain: { route: string | null; rule: CompiledRule }[], region: number, plan: Plan, depth: number): void => {
    out.push({ entry: entryRule, chain, region, plan });
    if (plan.kind !== 'route' || depth > c.routes.size) return;
    const route = c.routes.get(plan.route);
    for (const rule of route?.rules ?? []) {
      const sub = c.diagrams.and(region, rule.region);
      if (sub !== FALSE) visit(entryRule, [...chain, { route: plan.route, rule }], sub, rule.plan, depth + 1);
    }
  };
  for (const rule of entry.rules) if (rule.region !== FALSE) visit(rule, [{ route: null, rule }], rule.region, rule.plan, 0);
  return out;
}

/** A model call a plan may make, with the options in force there. */
export interface PlannedCall {
  readonly model: string;
  readonly options: CallOptions;
}

/** The model calls of a plan (named routes are followed by `decidingRules`, not here). */
export function plannedCalls(plan: Plan, inherited: CallOptions = {}, out: PlannedCall[] = []): PlannedCall[] {
  if (plan.kind === 'model') out.push({ model: plan.model, options: { ...inherited, ...plan.options } });
  else {
    const options = plan.kind === 'with' ? { ...inherited, ...plan.options } : inherited;
    for (const sub of subPlans(plan)) plannedCalls(sub, options, out);
  }
  return out;
}

/**
 * The largest prompt (in tokens) a region admits, or Infinity. Exact: the partition of
 * `prompt.tokens` is cut at every model's window and every constant the policy tests.
 */
export function maxPromptTokens(c: Compilation, region: number): number {
  if (!c.promptField) return Number.POSITIVE_INFINITY;
  const v = c.diagrams.index.get(`${c.promptField}.tokens`);
  if (v === undefined) return Number.POSITIVE_INFINITY;
  const spec = c.diagrams.vars[v];
  if (!spec || spec.variable.kind !== 'interval') return Number.POSITIVE_INFINITY;
  const possible = c.diagrams.possibleRegions(region, v);
  const top = Math.max(...possible);
  const bound = spec.variable.bounds[top];
  if (!bound) return Number.POSITIVE_INFINITY;
  // Integer partitions only have "< at" bounds: the region's largest value is at - 1.
  return bound.inclusive ? bound.at : bound.at - 1;
}

/** The region of the prompt-token partition that holds the value `tokens`. */
export function regionHolding(c: Compilation, tokens: number): number | undefined {
  if (!c.promptField) return undefined;
  const v = c.diagrams.index.get(`${c.promptField}.tokens`);
  const spec = v === undefined ? undefined : c.diagrams.vars[v];
  if (v === undefined || !spec || spec.variable.kind !== 'interval') return undefined;
  const bounds = spec.variable.bounds;
  return intervalRegion(
    bounds.map((b) => b.at),
    bounds.map((b) => b.inclusive),
    tokens,
  );
}
