// The false-proof hunt: random well-typed policies built to stress the analyses (overlapping
// `contains` constants, numeric bands at the edges of windows and constants, named routes
// at any depth, splits of named routes, nested fallbacks, cascades, choices, tools, `with`
// options around composite plans), and an oracle that knows nothing of decision diagrams:
// it walks the AST for one concrete request (reference interpreter) and reports which
// rules decide, which models can serve it on any path, and what the request can cost.
// Every claim the checker makes — an assertion proved, a rule unreachable, a budget kept,
// every request covered — is then tested against many requests.

import type * as A from '../../packages/dsl/src/ast.js';
import type { ModelInfo, Policy, RouteInfo } from '../../packages/dsl/src/check/policy.js';
import { Rng } from './generate.js';
import { fieldValues, holds, matchRule, type Scalar } from './interpreter.js';

/** Substrings that contain each other ("abc" contains "ab", "bc", "b"), and one with a space. */
export const PROMPT_WORDS = ['ab', 'abc', 'bc', 'b', 'abcd', 'cab', 'a b', 'w1', 'w16', 'w161'];
export const TENANTS = ['acme', 'acme-eu', 'me', 'globex', 'ac'];
const TIERS = ['free', 'pro', 'team'];
const CONTEXTS = [4000, 8000, 32_000, 128_000];

export interface HuntPolicy {
  readonly text: string;
  /** The constants conditions compare `n` and `prompt.tokens` with (requests are cut at them). */
  readonly numbers: readonly number[];
  readonly tokenBounds: readonly number[];
}

/** A random policy from `seed`, every rule on a line of its own. */
export function huntPolicy(seed: number): HuntPolicy {
  const rng = new Rng(seed);
  const numbers: number[] = [];
  const tokenBounds: number[] = [];
  const lines: string[] = [`policy hunt_${seed} version "1"`];
  lines.push('input {', '  prompt: text', '  tenant: string', '  pii: bool = false', '  tier: enum { free, pro, team }', '  n: int', '}');
  const modelCount = rng.int(2, 4);
  const models = Array.from({ length: modelCount }, (_, i) => `m${i}`);
  const contexts: number[] = [];
  for (const m of models) {
    const context = rng.pick(CONTEXTS);
    contexts.push(context);
    const maxOutput = rng.chance(0.5) ? ` max_output = ${rng.pick([1, 2, 4])}k` : '';
    const price = (): string => `$${rng.pick([0, 0.1, 0.5, 1, 3, 15])}`;
    lines.push(
      `model ${m} { provider = "p${rng.int(0, 1)}" id = "${m}" price = { input: ${price()} per 1M, output: ${price()} per 1M } context = ${context / 1000}k${maxOutput} deployment = ${rng.pick(['cloud', 'on_prem'])} tags = [${rng.pick(['approved', 'beta'])}] }`,
    );
  }
  lines.push('tool t0 { kind = search cost = $0.01 }', 'validator v0 = extern "score"');

  const tokenConstant = (): number => {
    const k = rng.chance(0.6) ? (rng.pick(contexts) as number) + rng.pick([-1, 0, 1]) : rng.pick([1, 500, 1000, 5000, 20_000]);
    tokenBounds.push(k);
    return k;
  };
  const atom = (): string => {
    switch (rng.int(0, 8)) {
      case 0:
      case 1:
        return `prompt contains ${JSON.stringify(rng.pick(PROMPT_WORDS))}`;
      case 2:
        return `prompt.tokens ${rng.pick(['<', '<=', '>', '>=', '==', '!='])} ${tokenConstant()}`;
      case 3: {
        const k = rng.pick([0, 1, 5, 10]);
        numbers.push(k);
        return `n ${rng.pick(['<', '<=', '>', '>=', '==', '!='])} ${k}`;
      }
      case 4:
        return rng.chance(0.5)
          ? `tier == ${rng.pick(TIERS)}`
          : `tier ${rng.chance(0.3) ? 'not in' : 'in'} [${TIERS.filter(() => rng.chance(0.5)).join(', ') || 'pro'}]`;
      case 5:
        return rng.chance(0.5) ? 'pii' : 'not pii';
      case 6:
        return `tenant ${rng.pick(['==', '!='])} ${JSON.stringify(rng.pick(TENANTS))}`;
      case 7:
        return `tenant contains ${JSON.stringify(rng.pick(TENANTS))}`;
      default:
        return `tenant in [${JSON.stringify(rng.pick(TENANTS))}, ${JSON.stringify(rng.pick(TENANTS))}]`;
    }
  };
  const condition = (depth: number): string => {
    const r = rng.next();
    if (depth <= 0 || r < 0.4) return atom();
    if (r < 0.55) return `not (${condition(depth - 1)})`;
    if (r < 0.75) return `${condition(depth - 1)} and ${condition(depth - 1)}`;
    if (r < 0.9) return `(${condition(depth - 1)} or ${condition(depth - 1)})`;
    return `(${condition(depth - 1)} implies ${condition(depth - 1)})`;
  };

  const routeCount = rng.int(0, 3);
  const routeNames = Array.from({ length: routeCount }, (_, i) => `r${i}`);
  // Route i refers only to routes after it, so there is no cycle.
  const plan = (depth: number, after: number): string => {
    const later = routeNames.slice(after);
    const leaf = (): string => (later.length > 0 && rng.chance(0.35) ? rng.pick(later) : rng.pick(models));
    const step = (): string => (rng.chance(0.3) ? `${rng.pick(models)} with { max_tokens: ${rng.pick([1, 2])}k }` : rng.pick(models));
    const r = rng.next();
    if (depth <= 0 || r < 0.3) return leaf();
    if (r < 0.42) return `(${plan(depth - 1, after)}) with { retries: ${rng.int(0, 2)}, max_tokens: ${rng.pick([1, 2, 4])}k }`;
    if (r < 0.56) return `(${plan(depth - 1, after)} fallback ${plan(depth - 1, after)})`;
    if (r < 0.64) return `cascade [${step()}, ${step()}] until v0 >= 0.5`;
    if (r < 0.76) {
      const w = rng.int(1, 99);
      return `split by tenant { ${plan(depth - 1, after)}: ${w}%, ${plan(depth - 1, after)}: ${100 - w}% }`;
    }
    if (r < 0.84) return `${rng.pick(['fastest', 'cheapest'])} [${step()}, ${step()}]`;
    if (r < 0.9) return `try t0 else ${plan(depth - 1, after)}`;
    if (r < 0.95) return 'deny "no"';
    return leaf();
  };
  const route = (name: string | null, after: number): void => {
    lines.push(name === null ? 'route {' : `route ${name} {`);
    const rules = rng.int(1, rng.chance(0.2) ? 16 : 6);
    for (let i = 0; i < rules; i++) lines.push(`  when ${condition(2)} -> ${plan(2, after)}`);
    if (rng.chance(0.8)) lines.push(`  otherwise -> ${plan(2, after)}`);
    lines.push('}');
  };
  route(null, 0);
  routeNames.forEach((name, i) => {
    route(name, i + 1);
  });

  const assertions = [
    'model.deployment == on_prem',
    'pii implies model.deployment == on_prem',
    `model != ${rng.pick(models)}`,
    `tier == free implies model in [${rng.pick(models)}, ${rng.pick(models)}]`,
    `prompt contains ${JSON.stringify(rng.pick(PROMPT_WORDS))} implies model.deployment == on_prem`,
    'approved in model.tags',
    `tenant contains ${JSON.stringify(rng.pick(TENANTS))} implies model != ${rng.pick(models)}`,
  ];
  const chosen = assertions.filter(() => rng.chance(0.35));
  chosen.forEach((a, i) => {
    lines.push(`assert "a${i}": ${a}`);
  });
  if (rng.chance(0.7)) lines.push(`budget { per_request <= $${rng.pick([0.01, 0.05, 0.5, 2, 10])} }`);
  return { text: `${lines.join('\n')}\n`, numbers, tokenBounds };
}

/** What one request can do under a policy, by the reference interpreter. */
export interface Reach {
  /** Every (route, rule index) that decides somewhere on the request's paths. */
  readonly rules: Set<string>;
  /** The routes (null: the entry route) in which no rule matched. */
  readonly unmatched: Set<string | null>;
  /** Every model that can serve the request on some path. */
  readonly models: Set<string>;
  /** The entry rule that decides, or -1. */
  readonly entryRule: number;
  /** The most the request can cost by the runtime's rules (every arm, every failover). */
  readonly cost: number;
}

interface Options {
  readonly retries?: number;
  readonly maxTokens?: number;
}

const unwrap = (plan: A.Plan): A.Plan => (plan.kind === 'ParenPlan' ? unwrap(plan.inner) : plan);

function optionsOf(object: A.ObjectLit, inherited: Options): Options {
  let out = { ...inherited };
  for (const e of object.entries) {
    if (e.value.kind !== 'Number') continue;
    if (e.key.name === 'retries') out = { ...out, retries: e.value.value };
    if (e.key.name === 'max_tokens') out = { ...out, maxTokens: e.value.value };
  }
  return out;
}

/** Follows one request through the policy: every plan form, named routes at any depth. */
export function reach(policy: Policy, request: Record<string, Scalar>, countTokens: (text: string) => number): Reach {
  const values = fieldValues(policy, request);
  const tokens = countTokens(String(values.get('prompt') ?? ''));
  const rules = new Set<string>();
  const unmatched = new Set<string | null>();
  const models = new Set<string>();
  const callCost = (m: ModelInfo, options: Options): number => {
    const output = options.maxTokens ?? m.maxOutput ?? m.context;
    return (1 + (options.retries ?? 0)) * (Math.min(tokens, m.context) * m.inputPrice + output * m.outputPrice);
  };
  const routeCost = (route: RouteInfo, options: Options, depth: number): number => {
    const index = matchRule(policy, route, values, countTokens);
    if (index < 0) {
      unmatched.add(route.name ?? null);
      return 0;
    }
    rules.add(`${route.name ?? ''}#${index}`);
    return planCost((route.node.rules[index] as A.Rule).plan, options, depth + 1);
  };
  const planCost = (raw: A.Plan, options: Options, depth: number): number => {
    const plan = unwrap(raw);
    if (depth > 50) throw new Error('route depth');
    switch (plan.kind) {
      case 'Ref': {
        const m = policy.models.get(plan.name.name);
        if (m) {
          models.add(m.name);
          return callCost(m, options);
        }
        const route = policy.routes.get(plan.name.name);
        return route ? routeCost(route, options, depth) : 0;
      }
      case 'With':
        return planCost(plan.plan, optionsOf(plan.options, options), depth);
      case 'Fallback':
        return planCost(plan.primary, options, depth) + planCost(plan.secondary, options, depth);
      case 'Cascade':
        return plan.steps.reduce((sum, s) => sum + planCost(s, options, depth), 0);
      case 'Choice':
        // A choice fails over to its next candidate: each may be paid for.
        return plan.candidates.reduce((sum, s) => sum + planCost(s, options, depth), 0);
      case 'Try':
        return (policy.tools.get(plan.tool.name)?.cost ?? 0) + planCost(plan.otherwise, options, depth);
      case 'Split':
        // Every arm: another value of the split field with the same conditions takes it.
        return Math.max(0, ...plan.arms.map((a) => planCost(a.plan, options, depth)));
      default:
        return 0;
    }
  };
  let entryRule = -1;
  let cost = 0;
  if (policy.entryRoute) {
    entryRule = matchRule(policy, policy.entryRoute, values, countTokens);
    cost = routeCost(policy.entryRoute, {}, 0);
  }
  return { rules, unmatched, models, entryRule, cost };
}

/** Whether assertion `expr` holds for `model` on this request. */
export function assertionHolds(policy: Policy, expr: A.Expr, request: Record<string, Scalar>, model: string, countTokens: (text: string) => number): boolean {
  const m = policy.models.get(model);
  return m === undefined || holds(expr, fieldValues(policy, request), policy, countTokens, m);
}

/**
 * The hunt's token counter: one token per space-separated word, and `#N` counts N (no
 * constant has `#`). The analyses treat `.tokens` as a number the counter gives, whatever
 * the counter, so any deterministic one serves.
 */
export function huntTokens(text: string): number {
  let n = 0;
  for (const word of text.split(' ')) {
    if (word.length === 0) continue;
    n += /^#\d+$/.test(word) ? Number(word.slice(1)) : 1;
  }
  return n;
}

/**
 * Requests for a hunt policy: every combination of the values conditions distinguish would
 * be exponential, so each request takes, per field, a value from the edges of its constants
 * (cycling so that every edge value appears) or a random one; prompts join overlapping
 * constants and are padded to token counts at and beside every bound.
 */
export function huntRequests(policy: HuntPolicy, rng: Rng, count: number): Record<string, Scalar>[] {
  const sizes = [0, 1, 2, ...policy.tokenBounds.flatMap((b) => [b - 1, b, b + 1]), ...CONTEXTS.flatMap((c) => [c, c + 1])].filter((x) => x >= 0);
  const ns = [-2, ...policy.numbers.flatMap((k) => [k - 1, k, k + 1]), 100];
  const out: Record<string, Scalar>[] = [];
  for (let i = 0; i < count; i++) {
    const words = PROMPT_WORDS.filter(() => rng.chance(0.25));
    if (rng.chance(0.2)) words.push(`${rng.pick(PROMPT_WORDS)}${rng.pick(PROMPT_WORDS)}`);
    const size = i < sizes.length ? (sizes[i] as number) : rng.chance(0.7) ? rng.pick(sizes) : rng.int(0, 200_000);
    // Sized with a `#N` word (N tokens to `huntTokens`), so a 128,001-token prompt stays short.
    const base = words.join(' ');
    const have = huntTokens(base);
    const prompt = size > have ? `${base} #${size - have}`.trimStart() : base;
    const tenant = rng.chance(0.8) ? rng.pick(TENANTS) : `${rng.pick(TENANTS)}${rng.pick(TENANTS)}`;
    out.push({
      prompt,
      tenant,
      pii: i % 2 === 0,
      tier: TIERS[i % TIERS.length] as string,
      n: i < ns.length ? (ns[i] as number) : rng.pick(ns),
    });
  }
  return out;
}
