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
  /** The rules followed, ending with the one whose plan this is. */
  readonly chain: readonly { route: string | null; rule: CompiledRule }[];
  /** The inputs on which this chain decides. */
  readonly region: number;
  /**
   * The plan of the last rule of the chain. It may itself refer to named routes (in a split
   * arm, a fallback, a cascade step, a candidate): each such route's rules are records of
   * their own, with this chain extended.
   */
  readonly plan: Plan;
  /** The `with` options in force where the chain entered this plan's route (`(r) with {…}`). */
  readonly inherited: CallOptions;
}

const decidingCache = new WeakMap<Compilation, DecidingRule[]>();

/**
 * Every chain of rules → plan with a non-empty region, following named routes wherever a
 * plan refers to one, at any depth and in any combination (language.md §7: "every path").
 * The same for every analysis, so it is computed once per compilation.
 */
export function decidingRules(c: Compilation): readonly DecidingRule[] {
  const cached = decidingCache.get(c);
  if (cached) return cached;
  const out: DecidingRule[] = [];
  const entry = c.routes.get(null);
  const visit = (d: DecidingRule): void => {
    out.push(d);
    // The checker refuses cycles among routes; a chain longer than the routes would be one.
    if (d.chain.length > c.routes.size) return;
    for (const call of routeCalls(d.plan, d.inherited)) {
      const route = c.routes.get(call.route);
      for (const rule of route?.rules ?? []) {
        const region = c.diagrams.and(d.region, rule.region);
        if (region === FALSE) continue;
        visit({ entry: d.entry, chain: [...d.chain, { route: call.route, rule }], region, plan: rule.plan, inherited: call.options });
      }
    }
  };
  for (const rule of entry?.rules ?? []) {
    if (rule.region !== FALSE) visit({ entry: rule, chain: [{ route: null, rule }], region: rule.region, plan: rule.plan, inherited: {} });
  }
  decidingCache.set(c, out);
  return out;
}

/**
 * The inputs that reach each route: everything for the entry route; for a named route,
 * the union of the regions of the rules whose plan refers to it (at any depth).
 */
export function reachRegions(c: Compilation): Map<string | null, number> {
  const reach = new Map<string | null, number>([[null, TRUE]]);
  for (const d of decidingRules(c)) {
    for (const call of routeCalls(d.plan, d.inherited)) reach.set(call.route, c.diagrams.or(reach.get(call.route) ?? FALSE, d.region));
  }
  return reach;
}

/** A named route a plan refers to, with the options in force there. */
export interface RouteCall {
  readonly route: string;
  readonly options: CallOptions;
}

/** The named routes a plan refers to, at any depth (their rules are not followed here). */
export function routeCalls(plan: Plan, inherited: CallOptions = {}, out: RouteCall[] = []): RouteCall[] {
  if (plan.kind === 'route') out.push({ route: plan.route, options: inherited });
  else {
    const options = plan.kind === 'with' ? { ...inherited, ...plan.options } : inherited;
    for (const sub of subPlans(plan)) routeCalls(sub, options, out);
  }
  return out;
}

/** A model call a plan may make, with the options in force there. */
export interface PlannedCall {
  readonly model: string;
  readonly options: CallOptions;
}

/** The model calls of a plan (named routes are followed by `decidingRules`, not here); pass `DecidingRule.inherited`. */
export function plannedCalls(plan: Plan, inherited: CallOptions = {}, out: PlannedCall[] = []): PlannedCall[] {
  if (plan.kind === 'model') out.push({ model: plan.model, options: { ...inherited, ...plan.options } });
  else {
    const options = plan.kind === 'with' ? { ...inherited, ...plan.options } : inherited;
    for (const sub of subPlans(plan)) plannedCalls(sub, options, out);
  }
  return out;
}

/** The models an entry rule's plan may call, through the routes it refers to too. */
export function reachableModels(c: Compilation, entry: DecidingRule['entry']): string[] {
  const out = new Set<string>();
  for (const other of decidingRules(c)) {
    if (other.entry !== entry) continue;
    for (const call of plannedCalls(other.plan, other.inherited)) out.add(call.model);
  }
  return [...out];
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
