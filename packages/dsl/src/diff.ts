// The semantic diff of two policies: the exact input regions whose decision changes,
// computed from decision diagrams (not by sampling). Both policies are compiled over one
// partition (the constants of both), named routes are resolved into the plans they end
// in, and the two diagrams are combined leaf by leaf; each path to a changed pair of plans
// is one region, written as a readable condition with an example request.

import type { FieldType, Value } from '@routelang/runtime';
import { planText } from './analyze/plan-text.js';
import { counterexample } from './analyze/witness.js';
import type { Policy } from './check/policy.js';
import { fieldType, firstMatchTo } from './graph/compile.js';
import { Diagrams, FALSE, isRuleLeaf, leaf, leafRule, TRUE, type VarSpec } from './graph/diagram.js';
import { buildPartition } from './graph/partition.js';
import { describeRegions } from './graph/variables.js';
import { lowerExpr, lowerPlan } from './lower.js';

/** One region whose decision changes. */
export interface Change {
  /** e.g. `intent == summarize and 8000 ≤ prompt.tokens < 16000` ("every request" when empty). */
  readonly condition: string;
  /** The plan before and after (`no rule matches` where a policy decides nothing). */
  readonly before: string;
  readonly after: string;
  readonly example: Readonly<Record<string, Value>>;
}

export interface PolicyDiff {
  readonly changes: readonly Change[];
  /** Regions not listed because of `limit`. */
  readonly omitted: number;
}

const NO_MATCH = 'no rule matches';

/** The regions whose decision differs between `before` and `after` (both checked, error-free). */
export function diffPolicies(before: Policy, after: Policy, limit = 200): PolicyDiff {
  const fieldTypes = new Map<string, FieldType>();
  for (const p of [before, after]) for (const [name, f] of p.fields) fieldTypes.set(name, fieldType(f.type));
  const conditions = [before, after].flatMap((p) =>
    routesOf(p).flatMap((r) => r.node.rules.flatMap((rule) => (rule.condition ? [lowerExpr(rule.condition, p)] : []))),
  );
  const partition = buildPartition(fieldTypes, conditions);
  const diagrams = new Diagrams(partition.vars, partition.keys);
  const plans: string[] = [];
  const planLeaf = (text: string): number => {
    let i = plans.indexOf(text);
    if (i < 0) i = plans.push(text) - 1;
    return leaf(i);
  };
  const oldRoot = decisionDiagram(before, diagrams, planLeaf);
  const newRoot = decisionDiagram(after, diagrams, planLeaf);
  const pairs: [number, number][] = [];
  // Only requests that exist: a region asking for "w16" without "w1" moves no traffic.
  const paired = diagrams.ite(
    diagrams.consistency(),
    diagrams.combine(oldRoot, newRoot, (a, b) => {
      if (a === b) return TRUE; // unchanged
      let i = pairs.findIndex(([x, y]) => x === a && y === b);
      if (i < 0) i = pairs.push([a, b]) - 1;
      return leaf(i);
    }),
    TRUE,
  );
  const describe = (t: number): string => (isRuleLeaf(t) ? (plans[leafRule(t)] ?? '?') : NO_MATCH);
  const defaults = new Map<string, Value>();
  for (const p of [before, after]) for (const [name, f] of p.fields) if (f.default !== undefined) defaults.set(name, f.default as Value);

  const changes: Change[] = [];
  let omitted = 0;
  const path: { v: number; regions: number[] }[] = [];
  const walk = (ref: number): void => {
    if (ref < 0) {
      if (!isRuleLeaf(ref)) return;
      if (changes.length >= limit) {
        omitted++;
        return;
      }
      const [a, b] = pairs[leafRule(ref)] as [number, number];
      const example = counterexample(diagrams, new Map(path.map((p) => [p.v, p.regions[0] as number])), fieldTypes, defaults);
      changes.push({
        condition: path.map((p) => describeRegions(diagrams.vars[p.v] as VarSpec, p.regions)).join(' and ') || 'every request',
        before: describe(a),
        after: describe(b),
        example: example?.request ?? {},
      });
      return;
    }
    for (const { target, regions } of diagrams.edgeGroups(ref)) {
      if (target === TRUE) continue;
      path.push({ v: diagrams.varOf(ref), regions });
      walk(target);
      path.pop();
    }
  };
  walk(paired);
  return { changes, omitted };
}

function routesOf(p: Policy) {
  return [...(p.entryRoute ? [p.entryRoute] : []), ...p.routes.values()];
}

/** A policy's entry route as a diagram whose leaves are plans, named routes followed. */
function decisionDiagram(policy: Policy, diagrams: Diagrams, planLeaf: (text: string) => number): number {
  const resolved = new Map<string | null, number>();
  const resolve = (name: string | null, depth: number): number => {
    const hit = resolved.get(name);
    if (hit !== undefined) return hit;
    const route = name === null ? policy.entryRoute : policy.routes.get(name);
    if (!route || depth > policy.routes.size + 1) return planLeaf(NO_MATCH);
    const whens = route.node.rules.map((rule) => (rule.condition ? diagrams.fromExpr(lowerExpr(rule.condition, policy)) : TRUE));
    const targets = route.node.rules.map((rule) => {
      const plan = lowerPlan(rule.plan, policy);
      return plan.kind === 'route' ? resolve(plan.route, depth + 1) : planLeaf(planText(plan));
    });
    // "No rule matches" becomes a plan leaf, so a named route's gap is an outcome, not a
    // fall-through to the caller's next rule.
    const result = diagrams.mapTerminals(firstMatchTo(diagrams, whens, targets), (t) => (t === FALSE ? planLeaf(NO_MATCH) : t));
    resolved.set(name, result);
    return result;
  };
  return resolve(null, 0);
}
