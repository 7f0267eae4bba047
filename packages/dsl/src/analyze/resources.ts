// Resources along each path: context windows (RL3005) — a model that can receive a prompt
// larger than its window — and worst-case cost against `budget per_request` (RL3006).
// Input tokens are bounded by the path condition (exactly: `prompt.tokens` is cut at every
// window) or else by each model's window; output by `max_tokens`, `max_output` or the window.

import { type CallOptions, type Plan, subPlans } from '@routelang/runtime';
import type { Compilation } from '../graph/compile.js';
import { FALSE } from '../graph/diagram.js';
import type { AnalysisContext } from './context.js';
import { decidingRules, maxPromptTokens, plannedCalls, reachableModels, regionHolding } from './paths.js';
import { planText } from './plan-text.js';

const n = (x: number): string => x.toLocaleString('en-US');
export const dollars = (x: number): string => (x === 0 ? '$0' : `$${x >= 1 ? x.toFixed(2) : x >= 0.01 ? x.toFixed(3) : x.toPrecision(2)}`);

export function checkContextWindows(ctx: AnalysisContext): void {
  const { c } = ctx;
  if (!c.promptField) return;
  const tokensVar = c.diagrams.index.get(`${c.promptField}.tokens`);
  for (const d of decidingRules(c)) {
    const calls = plannedCalls(d.plan, d.inherited);
    if (calls.length === 0) continue;
    const windows = calls.map((call) => c.models.get(call.model)?.context ?? 0);
    const bound = maxPromptTokens(c, d.region);
    const limit = Number.isFinite(bound) ? bound : Math.max(...windows);
    const seen = new Set<string>();
    for (const call of calls) {
      const model = c.models.get(call.model);
      if (!model || seen.has(model.name)) continue;
      const above = regionHolding(c, model.context + 1);
      // A path with no bound on the prompt is held to the plan's largest window; but one that
      // admits only prompts beyond a model's window overflows it on every request.
      const always = model.context >= limit && tokensVar !== undefined && above !== undefined && !Number.isFinite(bound);
      if (
        model.context >= limit &&
        !(always && ctx.decide(c.diagrams.and(d.region, c.diagrams.not(c.diagrams.regionAtLeast(tokensVar, above)))).kind === 'empty')
      )
        continue;
      seen.add(model.name);
      const region = tokensVar !== undefined && above !== undefined ? c.diagrams.and(d.region, c.diagrams.regionAtLeast(tokensVar, above)) : d.region;
      const verdict = ctx.decide(region);
      if (verdict.kind === 'empty') continue;
      if (verdict.kind === 'undecided') {
        ctx.undecided(fileOf(c, null), d.entry.node.plan, `whether \`${model.name}\` can receive more than its window`, verdict.reason, 'warning');
        continue;
      }
      const example = verdict.example;
      const why = Number.isFinite(bound)
        ? `this rule admits prompts of up to ${n(bound)} tokens`
        : model.context >= limit
          ? 'every prompt this rule admits is larger'
          : `\`${planText(d.plan)}\` accepts prompts of up to ${n(limit)} tokens (its largest window)`;
      ctx.report(
        'RL3005',
        fileOf(c, null),
        d.entry.node.plan,
        `\`${model.name}\` has a ${n(model.context)}-token window, but ${why}; for example ${ctx.show(example)}`,
        {
          help:
            model.context >= limit
              ? 'no prompt of this rule fits: send them to a model with a larger window, or refuse them (`-> deny "…"`)'
              : windowHelp(c, model, calls, limit),
          counterexample: example.request,
        },
      );
    }
  }
}

/**
 * The fix for a window too small on a path. Where another model of the plan takes the large
 * prompts (a fallback or a cascade step with a larger window), bounding the rule would cut
 * those off: send the larger prompts to that model by a rule above, or replace the small one
 * with a model that fits (not one of the plan's own, which would call it twice).
 */
function windowHelp(c: Compilation, model: { name: string; context: number }, calls: readonly { model: string }[], limit: number): string {
  const largest = calls
    .map((call) => c.models.get(call.model))
    .filter((m): m is NonNullable<typeof m> => m !== undefined)
    .reduce<{ name: string; context: number } | undefined>((best, m) => (best === undefined || m.context > best.context ? m : best), undefined);
  if (!largest || largest.context <= model.context) {
    return `bound the rule with \`${c.promptField}.tokens <= ${shortTokens(model.context)}\`, or use a model with a larger window`;
  }
  const fitting = [...c.models.values()]
    .filter((m) => m.context >= limit && !calls.some((call) => call.model === m.name))
    .sort((a, b) => a.inputPrice + a.outputPrice - (b.inputPrice + b.outputPrice) || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((m) => `\`${m.name}\` (${n(m.context)})`);
  return `add a rule above this one for the larger prompts (\`when ${c.promptField}.tokens > ${shortTokens(model.context)} -> ${largest.name}\`), or replace \`${model.name}\` with a model whose window holds ${n(limit)} tokens${fitting.length > 0 ? `, such as ${fitting.join(', ')}` : ''}`;
}

function fileOf(c: Compilation, route: string | null): string {
  return c.routes.get(route)?.info.file ?? c.policy.program.entry;
}

function shortTokens(t: number): string {
  return t % 1_000_000 === 0 ? `${t / 1_000_000}M` : t % 1000 === 0 ? `${t / 1000}k` : String(t);
}

/** The worst-case cost of a plan, with the calls that make it up. */
export interface CostBound {
  readonly total: number;
  readonly parts: readonly string[];
}

/**
 * Worst-case cost of a plan on the inputs of `region`: every call it may make, each at its
 * largest input (bounded by the region and the model's window) and output. A named route
 * costs the most of its rules that decide somewhere in `region`, each on its own sub-region.
 */
export function worstCost(c: Compilation, plan: Plan, region: number, inherited: CallOptions = {}, depth = 0): CostBound {
  switch (plan.kind) {
    case 'model': {
      const m = c.models.get(plan.model);
      if (!m) return { total: 0, parts: [] };
      const options = { ...inherited, ...plan.options };
      const input = Math.min(maxPromptTokens(c, region), m.context);
      const output = options.maxTokens ?? m.maxOutput ?? m.context;
      const attempts = 1 + (options.retries ?? 0);
      const total = attempts * (input * m.inputPrice + output * m.outputPrice);
      return { total, parts: [`${m.name} ${dollars(total)} (${n(input)} tokens in, ${n(output)} out${attempts > 1 ? `, ${attempts} attempts` : ''})`] };
    }
    case 'with':
      return worstCost(c, plan.plan, region, { ...inherited, ...plan.options }, depth);
    case 'fallback':
      return sum([worstCost(c, plan.primary, region, inherited, depth), worstCost(c, plan.secondary, region, inherited, depth)]);
    case 'cascade':
      return sum(plan.steps.map((s) => worstCost(c, s, region, inherited, depth)));
    case 'try': {
      const tool = c.policy.tools.get(plan.tool);
      const rest = worstCost(c, plan.otherwise, region, inherited, depth);
      const toolCost = tool?.cost ?? 0;
      return toolCost > 0 ? { total: toolCost + rest.total, parts: [`${plan.tool} ${dollars(toolCost)}`, ...rest.parts] } : rest;
    }
    case 'split':
      return max(plan.arms.map((a) => worstCost(c, a.plan, region, inherited, depth)));
    case 'shadow':
      // The shadow call is not the request's: it counts against `per_shadow` (checkShadowBudget).
      return worstCost(c, plan.plan, region, inherited, depth);
    case 'rollout':
      // A request runs one arm; which one moves with the stage, so either may.
      return max([worstCost(c, plan.control, region, inherited, depth), worstCost(c, plan.candidate, region, inherited, depth)]);
    case 'choice':
      // A choice is also a failover: when the chosen candidate fails the next one runs, so
      // every candidate may be paid for.
      return sum(plan.candidates.map((cand) => worstCost(c, cand, region, inherited, depth)));
    case 'route': {
      // Cycles are refused by the checker; the depth bound keeps a tampered input finite.
      if (depth > c.routes.size) return { total: Number.POSITIVE_INFINITY, parts: [`route \`${plan.route}\` (cycle)`] };
      const rules = c.routes.get(plan.route)?.rules ?? [];
      return max(
        rules.flatMap((rule) => {
          const sub = c.diagrams.and(region, rule.region);
          return sub === FALSE ? [] : [worstCost(c, rule.plan, sub, inherited, depth + 1)];
        }),
      );
    }
    case 'deny':
      return { total: 0, parts: [] };
  }
}

function sum(bounds: CostBound[]): CostBound {
  return { total: bounds.reduce((t, b) => t + b.total, 0), parts: bounds.flatMap((b) => b.parts) };
}

function max(bounds: CostBound[]): CostBound {
  return bounds.reduce((best, b) => (b.total > best.total ? b : best), { total: 0, parts: [] } as CostBound);
}

export function checkBudget(ctx: AnalysisContext): void {
  const { c } = ctx;
  const limit = c.policy.budget?.perRequest;
  if (limit === undefined) return;
  const tokensVar = c.promptField ? c.diagrams.index.get(`${c.promptField}.tokens`) : undefined;
  const reported = new Set<number>();
  // One bound per entry rule: its plan's cost follows every route it refers to.
  for (const d of decidingRules(c)) {
    if (d.chain.length > 1 || reported.has(d.entry.index)) continue;
    const cost = worstCost(c, d.plan, d.region);
    if (cost.total <= limit + 1e-12) continue;
    reported.add(d.entry.index);
    // Show a prompt as large as the path admits, up to the largest window of the plan:
    // larger prompts cost no more (each call is bounded by its window).
    let region = d.region;
    if (tokensVar !== undefined) {
      const largestWindow = Math.max(0, ...reachableModels(c, d.entry).map((m) => c.models.get(m)?.context ?? 0));
      const cap = regionHolding(c, largestWindow);
      const possible = [...c.diagrams.possibleRegions(d.region, tokensVar)].filter((r) => cap === undefined || r <= cap);
      if (possible.length > 0) region = c.diagrams.and(d.region, c.diagrams.regionIs(tokensVar, Math.max(...possible)));
    }
    const example = ctx.example(region);
    ctx.report(
      'RL3006',
      fileOf(c, null),
      d.entry.node.plan,
      `this rule can cost up to ${dollars(cost.total)} per request, over the ${dollars(limit)} budget: ${cost.parts.join(' + ')}${example ? `; for example ${ctx.show(example)}` : ''}`,
      {
        help: `cap output with \`with { max_tokens: … }\`, ${c.promptField ? `bound the prompt with \`${c.promptField}.tokens < …\`, ` : ''}or use cheaper models`,
        related: c.policy.budget ? [{ file: c.policy.budget.file, span: c.policy.budget.node.span, message: 'the budget' }] : undefined,
        counterexample: example?.request,
      },
    );
  }
}

/**
 * Shadows against `budget { per_shadow }`: each shadow call's worst case (prompt up to the
 * path's bound and the model's window, output up to `max_output` or the window) must fit.
 * A shadow's spend is not the request's, so `per_request` never counts it.
 */
export function checkShadowBudget(ctx: AnalysisContext): void {
  const { c } = ctx;
  const limit = c.policy.budget?.perShadow;
  if (limit === undefined) return;
  const reported = new Set<string>();
  for (const d of decidingRules(c)) {
    const visit = (plan: Plan): void => {
      if (plan.kind === 'shadow') {
        const m = c.models.get(plan.shadow);
        const key = `${d.entry.index}:${plan.shadow}`;
        if (m && !reported.has(key)) {
          const input = Math.min(maxPromptTokens(c, d.region), m.context);
          const output = m.maxOutput ?? m.context;
          const total = input * m.inputPrice + output * m.outputPrice;
          if (total > limit + 1e-12) {
            reported.add(key);
            ctx.report(
              'RL3006',
              fileOf(c, null),
              d.entry.node.plan,
              `the shadow call to \`${m.name}\` can cost up to ${dollars(total)}, over the ${dollars(limit)} shadow budget (${n(input)} tokens in, ${n(output)} out)`,
              {
                help: `give \`${m.name}\` a smaller \`max_output\`, bound the prompt on this rule, or shadow a cheaper model`,
                related: c.policy.budget ? [{ file: c.policy.budget.file, span: c.policy.budget.node.span, message: 'the budget' }] : undefined,
              },
            );
          }
        }
      }
      for (const sub of subPlans(plan)) visit(sub);
    };
    visit(d.plan);
  }
}
