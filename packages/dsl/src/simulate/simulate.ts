// `routelang simulate`: replays recorded requests through a compiled policy with the real
// runtime `run()` (cascades escalate, fallbacks fire, breakers open, budgets bind) against
// simulated models whose latency, failures and answer quality come from a profile. Time is
// virtual (a request "taking" four seconds takes microseconds) and every random draw comes
// from one seeded generator, so a run is repeatable to the cent.

import {
  type Clock,
  classifyLexically,
  type ModelAdapter,
  nearestRank,
  type PolicyIR,
  ProviderError,
  type RolloutStatus,
  Router,
  type RunResult,
  type Scorer,
  type TokenCounter,
  type ToolAdapter,
} from '@routelang/runtime';
import { planText } from '../analyze/plan-text.js';
import type { Profile } from './profile.js';

/** A seeded pseudo-random generator (mulberry32): fast, 32-bit state, good enough for sampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A log-normal draw with the given median and 95th percentile. */
function logNormal(random: () => number, p50: number, p95: number): number {
  const sigma = p95 > p50 ? Math.log(p95 / p50) / 1.6448536 : 0;
  return p50 * Math.exp(sigma * normal(random));
}

/** A normal draw clipped to [0, 1]. */
function score(random: () => number, q: { mean: number; sd: number }): number {
  return Math.min(1, Math.max(0, q.mean + q.sd * normal(random)));
}

/** A weighted pick from `[value, weight]` pairs. */
function weighted<T>(random: () => number, options: readonly (readonly [T, number])[]): T | undefined {
  const total = options.reduce((sum, [, w]) => sum + w, 0);
  let left = random() * total;
  for (const [value, w] of options) {
    left -= w;
    if (left < 0) return value;
  }
  return options.at(-1)?.[0];
}

const percentile = (sorted: readonly number[], q: number): number => nearestRank(sorted, q) ?? 0;

/** Per model: the calls made to it and what they did. */
export interface ModelReport {
  readonly model: string;
  readonly provider: string;
  readonly calls: number;
  /** Requests this model gave the final answer to. */
  readonly answered: number;
  readonly errors: number;
  readonly errorClasses: Readonly<Record<string, number>>;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number;
}

/** Per rule: the requests it decided and what they cost. */
export interface RuleReport {
  readonly route: string | null;
  readonly line: number;
  readonly label: string | undefined;
  /** The rule's source text (its condition and plan), for the report. */
  readonly text: string;
  readonly requests: number;
  readonly cost: number;
}

/** The result of a simulation. */
export interface SimulationReport {
  readonly policy: string;
  readonly seed: number;
  readonly requests: number;
  readonly outcomes: { readonly answered: number; readonly denied: number; readonly failed: number; readonly invalid: number };
  readonly rules: readonly RuleReport[];
  readonly models: readonly ModelReport[];
  /** Per tool: calls, the calls that found an answer, errors, and the requests its answer ended. */
  readonly tools: readonly { readonly tool: string; readonly calls: number; readonly answers: number; readonly errors: number; readonly answered: number }[];
  readonly cost: {
    readonly total: number;
    readonly perRequest: number;
    /** The baseline: every served (valid, not denied) request sent to `baselineModel` alone. */
    readonly baselineModel: string;
    readonly baseline: number;
    readonly saved: number;
    /** `saved / baseline`, in [0, 1] (negative when the policy costs more). */
    readonly savedShare: number;
  };
  /** Shares of served requests that escalated at least once, and that took a fallback. */
  readonly escalationRate: number;
  readonly fallbackRate: number;
  readonly latency: { readonly p50Ms: number; readonly p95Ms: number };
  readonly denials: readonly { readonly reason: string; readonly count: number }[];
  readonly failures: readonly { readonly errorClass: string; readonly count: number }[];
  /** The first invalid lines (at most 20), with each problem; `outcomes.invalid` counts them all. */
  readonly invalid: readonly { readonly line: number; readonly problems: readonly string[] }[];
  /** Each rollout: its stage changes (at which request, and why) and where it ended. */
  readonly rollouts: readonly {
    readonly name: string;
    readonly changes: readonly {
      readonly action: string;
      readonly fromShare: number;
      readonly toShare: number;
      readonly atRequest: number;
      readonly reason: string;
    }[];
    readonly final: RolloutStatus;
  }[];
  /** Each shadowed model: calls, their outcomes, cost, and the mean validator scores of both sides. */
  readonly shadows: readonly {
    readonly model: string;
    readonly calls: number;
    readonly ok: number;
    readonly cost: number;
    readonly primaryScore: number | undefined;
    readonly shadowScore: number | undefined;
  }[];
}

export interface SimulateOptions {
  readonly profile: Profile;
  readonly tokenizer: TokenCounter;
  /** Called every 1,000 requests and at the end. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Rule source texts by route and index, for the report (from the IR's source map). */
function ruleTexts(ir: PolicyIR): Map<string, string> {
  const texts = new Map<string, string>();
  for (const route of ir.routes) {
    route.rules.forEach((rule, i) => {
      texts.set(`${route.name ?? ''}#${i}`, `${rule.text ?? 'otherwise'} -> ${planText(rule.plan)}`);
    });
  }
  return texts;
}

/**
 * Replays `lines` (JSONL: one request object per line; blank lines are skipped) through the
 * policy. Never throws for bad input: a line that is not JSON, or that the policy refuses,
 * counts as invalid and is listed with its problems.
 */
export async function simulate(ir: PolicyIR, lines: readonly string[], options: SimulateOptions): Promise<SimulationReport> {
  const { profile, tokenizer } = options;
  const random = seededRandom(profile.seed);
  let now = 0;
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
  const models = new Map(ir.models.map((m) => [m.name, m]));
  // Per request, drawn once: the answer length (so the baseline answers at the same length).
  let answerTokens = 0;
  let progress = 0; // the current request's place in the file, in [0, 1]
  let promptCache: { text: string; tokens: number } = { text: '', tokens: 0 };
  const tokensOf = (text: string): number => {
    if (promptCache.text !== text) promptCache = { text, tokens: tokenizer(text) };
    return promptCache.tokens;
  };
  const scores = new Map<string, number>();
  let answerId = 0;

  const modelAdapter: ModelAdapter = async (call) => {
    const behaviour = profile.models.get(call.model.name);
    if (!behaviour) throw new ProviderError('server_error', `no simulated behaviour for \`${call.model.name}\``);
    const inputTokens = tokensOf(call.prompt);
    const down = profile.outages.some((o) => o.model === call.model.name && progress >= o.from && progress < o.to);
    if (down) {
      now += 50;
      throw new ProviderError('server_error', 'simulated outage');
    }
    if (inputTokens > call.model.context) {
      now += 50;
      throw new ProviderError('client_error', `the prompt (${inputTokens} tokens) exceeds the ${call.model.context}-token window`, 400);
    }
    const latency = logNormal(random, behaviour.latency.p50, behaviour.latency.p95);
    if (random() < behaviour.errorRate) {
      const errorClass = weighted(random, behaviour.errors) ?? 'server_error';
      if (errorClass === 'timeout') {
        now += call.timeoutMs;
        throw new ProviderError('timeout', 'simulated timeout');
      }
      now += Math.min(latency, call.timeoutMs) / 4;
      throw new ProviderError(errorClass, `simulated ${errorClass}`);
    }
    if (latency > call.timeoutMs) {
      now += call.timeoutMs;
      throw new ProviderError('timeout', 'the call timed out');
    }
    now += latency;
    const text = `sim:${call.model.name}:${++answerId}`;
    scores.set(text, score(random, behaviour.quality));
    const cap = call.maxTokens ?? call.model.maxOutput ?? Number.POSITIVE_INFINITY;
    return { text, usage: { inputTokens, outputTokens: Math.min(answerTokens, cap) } };
  };

  const toolAdapters: Record<string, ToolAdapter> = {};
  for (const tool of ir.tools) {
    const behaviour = profile.tools.get(tool.name);
    if (!behaviour) continue;
    toolAdapters[tool.name] = async ({ timeoutMs }) => {
      const latency = logNormal(random, behaviour.latency.p50, behaviour.latency.p95);
      if (random() < behaviour.errorRate || latency > timeoutMs) {
        now += Math.min(latency, timeoutMs);
        throw new ProviderError(latency > timeoutMs ? 'timeout' : 'server_error', 'simulated tool failure');
      }
      now += latency;
      if (random() >= behaviour.hitRate) return null;
      const text = `sim-tool:${tool.name}:${++answerId}`;
      scores.set(text, score(random, behaviour.quality));
      return { text };
    };
  }

  // Every validator scores the simulated answer's quality: extern scorers would judge the
  // text, schema and JSON validators would parse it, and simulated answers have neither.
  const validators: Record<string, Scorer> = {};
  const simIr: PolicyIR = {
    ...ir,
    validators: ir.validators.map((v) => {
      validators[`sim:${v.name}`] = (answer) => scores.get(answer) ?? 0;
      return { name: v.name, kind: 'extern' as const, function: `sim:${v.name}` };
    }),
  };
  const adapters: Record<string, ModelAdapter> = {};
  for (const m of ir.models) adapters[m.provider] = modelAdapter;
  const classifiers: Record<string, (text: string) => string> = {};
  for (const c of ir.classifiers) {
    // A host classifier cannot run here: the lexical one stands in, from the declared examples.
    if (c.extern !== undefined) classifiers[c.extern] = (text) => classifyLexically(c, text) ?? c.labels[0]?.label ?? '';
  }
  const epoch = Date.UTC(2026, 0, 1);
  const changes = new Map<string, { action: string; fromShare: number; toShare: number; atRequest: number; reason: string }[]>();
  const shadows = new Map<string, { calls: number; ok: number; cost: number; primary: number[]; shadow: number[] }>();
  const router = await Router.load(simIr, {
    telemetry: {
      onRollout: (e) => {
        const list = changes.get(e.rollout) ?? [];
        list.push({ action: e.action, fromShare: e.fromShare, toShare: e.toShare, atRequest: index, reason: e.reason });
        changes.set(e.rollout, list);
      },
      onShadow: (e) => {
        const entry = shadows.get(e.shadow) ?? { calls: 0, ok: 0, cost: 0, primary: [], shadow: [] };
        entry.calls++;
        if (e.outcome === 'ok') entry.ok++;
        entry.cost += e.cost;
        if (e.primaryScore !== undefined) entry.primary.push(e.primaryScore);
        if (e.shadowScore !== undefined) entry.shadow.push(e.shadowScore);
        shadows.set(e.shadow, entry);
      },
    },
    adapters,
    tools: toolAdapters,
    validators,
    classifiers,
    clock,
    random,
    now: () => epoch + now,
    // One count per prompt: decide() (for `prompt.tokens`), the adapters and the baseline share it.
    tokenizer: tokensOf,
  });

  const texts = ruleTexts(ir);
  const rules = new Map<string, { route: string | null; line: number; label: string | undefined; text: string; requests: number; cost: number }>();
  const perModel = new Map<
    string,
    { calls: number; answered: number; errors: number; classes: Map<string, number>; latency: number[]; inT: number; outT: number; cost: number }
  >();
  const modelEntry = (name: string) => {
    let e = perModel.get(name);
    if (!e) {
      e = { calls: 0, answered: 0, errors: 0, classes: new Map(), latency: [], inT: 0, outT: 0, cost: 0 };
      perModel.set(name, e);
    }
    return e;
  };
  for (const m of ir.models) modelEntry(m.name);
  const perTool = new Map<string, { calls: number; answers: number; errors: number; answered: number }>();
  const denials = new Map<string, number>();
  const failures = new Map<string, number>();
  const invalid: { line: number; problems: string[] }[] = [];
  const latencies: number[] = [];
  const outcomes = { answered: 0, denied: 0, failed: 0, invalid: 0 };
  let total = 0;
  let baseline = 0;
  let served = 0;
  let escalated = 0;
  let fellBack = 0;
  const base = profile.baseline;
  const interval = 1_000 / profile.requestsPerSecond;
  const nonBlank = lines.filter((l) => l.trim() !== '').length;
  let index = 0;

  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const line = lines[lineNo] as string;
    if (line.trim() === '') continue;
    progress = index / Math.max(1, nonBlank);
    now = Math.max(now, index * interval);
    index++;
    if (options.onProgress && index % 1_000 === 0) options.onProgress(index, nonBlank);
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch (error) {
      outcomes.invalid++;
      if (invalid.length < 20) invalid.push({ line: lineNo + 1, problems: [`not JSON: ${(error as Error).message}`] });
      continue;
    }
    answerTokens = Math.max(1, Math.round(logNormal(random, profile.outputTokens.p50, profile.outputTokens.p95)));
    const result: RunResult = await router.run(request);
    if ('errors' in result) {
      outcomes.invalid++;
      if (invalid.length < 20) invalid.push({ line: lineNo + 1, problems: result.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)) });
      continue;
    }
    total += result.cost;
    latencies.push(result.latencyMs);
    const key = `${result.rule.route ?? ''}#${result.rule.index}`;
    let rule = rules.get(key);
    if (!rule) {
      rule = { route: result.rule.route, line: result.rule.line, label: result.rule.label, text: texts.get(key) ?? '', requests: 0, cost: 0 };
      rules.set(key, rule);
    }
    rule.requests++;
    rule.cost += result.cost;
    for (const a of result.attempts) {
      if (a.kind === 'tool') {
        const t = perTool.get(a.target) ?? { calls: 0, answers: 0, errors: 0, answered: 0 };
        perTool.set(a.target, t);
        if (a.outcome === 'skipped') continue;
        t.calls++;
        if (a.outcome === 'error') t.errors++;
        else if (a.message !== 'no answer') t.answers++;
        continue;
      }
      const m = modelEntry(a.target);
      if (a.outcome === 'skipped') {
        m.classes.set(a.errorClass ?? 'skipped', (m.classes.get(a.errorClass ?? 'skipped') ?? 0) + 1);
        continue;
      }
      m.calls++;
      m.latency.push(a.latencyMs);
      m.inT += a.inputTokens;
      m.outT += a.outputTokens;
      m.cost += a.cost;
      if (a.outcome === 'error') {
        m.errors++;
        m.classes.set(a.errorClass ?? 'server_error', (m.classes.get(a.errorClass ?? 'server_error') ?? 0) + 1);
      }
    }
    if (!result.ok && 'denied' in result) {
      outcomes.denied++;
      denials.set(result.denied, (denials.get(result.denied) ?? 0) + 1);
      continue;
    }
    served++;
    if (result.escalations > 0) escalated++;
    if (result.fallbacks > 0) fellBack++;
    const promptTokens = promptTokensOf(ir, request, tokensOf);
    baseline += Math.min(promptTokens, base.context) * base.inputPrice + Math.min(answerTokens, base.maxOutput ?? Number.POSITIVE_INFINITY) * base.outputPrice;
    if (result.ok) {
      outcomes.answered++;
      if (result.model !== undefined) modelEntry(result.model).answered++;
      else {
        // A tool's answer ended the request: the last tool call that found one.
        const last = [...result.attempts].reverse().find((a) => a.kind === 'tool' && a.outcome === 'ok' && a.message !== 'no answer');
        const t = last ? perTool.get(last.target) : undefined;
        if (t) t.answered++;
      }
    } else {
      outcomes.failed++;
      failures.set(result.errorClass, (failures.get(result.errorClass) ?? 0) + 1);
    }
  }
  options.onProgress?.(index, nonBlank);

  const sortedLatency = latencies.sort((a, b) => a - b);
  const requests = index;
  return {
    policy: ir.policy.name ?? '',
    seed: profile.seed,
    requests,
    outcomes,
    rules: [...rules.values()].sort((a, b) => (a.route ?? '').localeCompare(b.route ?? '') || a.line - b.line),
    models: [...perModel.entries()].map(([name, m]) => {
      const sorted = m.latency.sort((a, b) => a - b);
      return {
        model: name,
        provider: models.get(name)?.provider ?? '',
        calls: m.calls,
        answered: m.answered,
        errors: m.errors,
        errorClasses: Object.fromEntries([...m.classes.entries()].sort()),
        latencyP50Ms: percentile(sorted, 0.5),
        latencyP95Ms: percentile(sorted, 0.95),
        inputTokens: m.inT,
        outputTokens: m.outT,
        cost: m.cost,
      };
    }),
    tools: [...perTool.entries()].map(([tool, t]) => ({ tool, ...t })),
    cost: {
      total,
      perRequest: requests - outcomes.invalid > 0 ? total / (requests - outcomes.invalid) : 0,
      baselineModel: base.name,
      baseline,
      saved: baseline - total,
      savedShare: baseline > 0 ? (baseline - total) / baseline : 0,
    },
    escalationRate: served > 0 ? escalated / served : 0,
    fallbackRate: served > 0 ? fellBack / served : 0,
    latency: { p50Ms: percentile(sortedLatency, 0.5), p95Ms: percentile(sortedLatency, 0.95) },
    denials: [...denials.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    failures: [...failures.entries()].map(([errorClass, count]) => ({ errorClass, count })).sort((a, b) => b.count - a.count),
    invalid,
    rollouts: Object.entries(router.rollouts()).map(([name, final]) => ({ name, changes: changes.get(name) ?? [], final })),
    shadows: [...shadows.entries()].map(([model, e]) => ({
      model,
      calls: e.calls,
      ok: e.ok,
      cost: e.cost,
      primaryScore: e.primary.length > 0 ? e.primary.reduce((a, b) => a + b, 0) / e.primary.length : undefined,
      shadowScore: e.shadow.length > 0 ? e.shadow.reduce((a, b) => a + b, 0) / e.shadow.length : undefined,
    })),
  };
}

function promptTokensOf(ir: PolicyIR, request: unknown, count: (text: string) => number): number {
  const field = ir.inputs.find((f) => f.type.kind === 'text')?.name;
  if (field === undefined || typeof request !== 'object' || request === null) return 0;
  const value = (request as Record<string, unknown>)[field];
  return typeof value === 'string' ? count(value) : 0;
}
