// The simulation profile: how each model behaves (latency, errors, answer quality), how
// each tool behaves, how long answers are, and which model is the "always the most capable
// model" baseline. Written as a small JSON file; every value has a default derived from the
// model catalogue, so `routelang simulate POLICY TRAFFIC` works with no profile at all.

import type { Model, PolicyIR } from '@routelang/runtime';
import { z } from 'zod';

const Latency = z.object({ p50: z.number().positive(), p95: z.number().positive() }).strict();
const Quality = z.object({ mean: z.number().min(0).max(1), sd: z.number().min(0).max(1) }).strict();
const ErrorMix = z
  .object({ rate_limit: z.number().min(0), server_error: z.number().min(0), timeout: z.number().min(0), refusal: z.number().min(0) })
  .partial()
  .strict();

const ModelProfile = z
  .object({
    latency_ms: Latency,
    /** The share of calls that fail, in [0, 1]. */
    error_rate: z.number().min(0).max(1),
    /** How failures split between error classes (relative weights). */
    errors: ErrorMix,
    quality: Quality,
  })
  .partial()
  .strict();

const ToolProfile = z
  .object({ hit_rate: z.number().min(0).max(1), latency_ms: Latency, quality: Quality, error_rate: z.number().min(0).max(1) })
  .partial()
  .strict();

const Outage = z
  .object({
    model: z.string(),
    /** The outage's start and end, as fractions of the traffic file (0.4 = 40 % of the way through). */
    from: z.number().min(0).max(1),
    to: z.number().min(0).max(1),
  })
  .strict()
  .refine((o) => o.from < o.to, { message: '`from` must be before `to`' });

/** The profile file's schema (all keys optional). */
export const ProfileFile = z
  .object({
    seed: z.number().int().optional(),
    baseline: z.string().optional(),
    /** Answer length in tokens, per request (log-normal with this median and 95th percentile). */
    output_tokens: z.object({ p50: z.number().int().positive(), p95: z.number().int().positive() }).strict().optional(),
    /** Requests per second: sets the simulated time between arrivals (breakers and tenant windows run on it). */
    requests_per_second: z.number().positive().optional(),
    models: z.record(z.string(), ModelProfile).optional(),
    tools: z.record(z.string(), ToolProfile).optional(),
    outages: z.array(Outage).optional(),
  })
  .strict();
export type ProfileFile = z.infer<typeof ProfileFile>;

/** How one model behaves in the simulation, every value resolved. */
export interface ModelBehaviour {
  readonly latency: { readonly p50: number; readonly p95: number };
  readonly errorRate: number;
  readonly errors: readonly (readonly ['rate_limit' | 'server_error' | 'timeout' | 'refusal', number])[];
  readonly quality: { readonly mean: number; readonly sd: number };
  /** Where each value came from, for the report. */
  readonly source: 'profile' | 'catalogue';
}

export interface ToolBehaviour {
  readonly hitRate: number;
  readonly latency: { readonly p50: number; readonly p95: number };
  readonly quality: { readonly mean: number; readonly sd: number };
  readonly errorRate: number;
}

/** A profile with every default filled in for one policy. */
export interface Profile {
  readonly seed: number;
  readonly baseline: Model;
  readonly outputTokens: { readonly p50: number; readonly p95: number };
  readonly requestsPerSecond: number;
  readonly models: ReadonlyMap<string, ModelBehaviour>;
  readonly tools: ReadonlyMap<string, ToolBehaviour>;
  readonly outages: readonly { readonly model: string; readonly from: number; readonly to: number }[];
}

/** A problem with the profile, by its JSON path. */
export interface ProfileProblem {
  readonly path: string;
  readonly message: string;
}

const DEFAULT_ERRORS = [
  ['rate_limit', 0.4],
  ['server_error', 0.4],
  ['timeout', 0.2],
] as const;

/**
 * The most capable model: the one with the highest output price (list price is the field's
 * own ranking of capability), ties broken by the larger context window.
 */
export function mostCapable(models: readonly Model[]): Model | undefined {
  let best: Model | undefined;
  for (const m of models) {
    if (!best || m.outputPrice > best.outputPrice || (m.outputPrice === best.outputPrice && m.context > best.context)) best = m;
  }
  return best;
}

/**
 * Resolves a profile for a policy: parses and validates the file's JSON (when given), checks
 * that every model and tool it names exists, and fills each default from the catalogue:
 * latency from the model's declared `latency` (its median; p95 = 2.5 × median), else from its
 * price rank; quality from 0.60 (cheapest) to 0.90 (most expensive) by output price rank;
 * 1 % of calls failing.
 */
export function resolveProfile(ir: PolicyIR, file: unknown, seedOverride?: number): { profile?: Profile; problems: ProfileProblem[] } {
  const parsed = ProfileFile.safeParse(file ?? {});
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => ({ path: `/${i.path.map(String).join('/')}`, message: i.message })) };
  }
  const given = parsed.data;
  const problems: ProfileProblem[] = [];
  const names = new Set(ir.models.map((m) => m.name));
  const toolNames = new Set(ir.tools.map((t) => t.name));
  for (const name of Object.keys(given.models ?? {})) {
    if (!names.has(name)) problems.push({ path: `/models/${name}`, message: `the policy declares no model \`${name}\`` });
  }
  for (const name of Object.keys(given.tools ?? {})) {
    if (!toolNames.has(name)) problems.push({ path: `/tools/${name}`, message: `the policy declares no tool \`${name}\`` });
  }
  (given.outages ?? []).forEach((o, i) => {
    if (!names.has(o.model)) problems.push({ path: `/outages/${i}/model`, message: `the policy declares no model \`${o.model}\`` });
  });
  const baseline = given.baseline !== undefined ? ir.models.find((m) => m.name === given.baseline) : mostCapable(ir.models);
  if (given.baseline !== undefined && !baseline) problems.push({ path: '/baseline', message: `the policy declares no model \`${given.baseline}\`` });
  if (!baseline && given.baseline === undefined) problems.push({ path: '/baseline', message: 'the policy declares no model to compare against' });
  if (given.output_tokens && given.output_tokens.p95 < given.output_tokens.p50)
    problems.push({ path: '/output_tokens', message: '`p95` must be at least `p50`' });
  if (problems.length > 0 || !baseline) return { problems };

  const byPrice = [...ir.models].sort((a, b) => a.outputPrice - b.outputPrice);
  const rank = (m: Model): number => {
    const i = byPrice.findIndex((x) => x.outputPrice === m.outputPrice);
    return byPrice.length > 1 ? i / (byPrice.length - 1) : 1;
  };
  const models = new Map<string, ModelBehaviour>();
  for (const m of ir.models) {
    const p = given.models?.[m.name] ?? {};
    const median = m.latencyMs ?? (m.deployment === 'on_prem' ? 600 : 500 + 2_500 * rank(m));
    const mix = p.errors ? Object.entries(p.errors).filter(([, w]) => w > 0) : DEFAULT_ERRORS;
    models.set(m.name, {
      latency: p.latency_ms ?? { p50: median, p95: median * 2.5 },
      errorRate: p.error_rate ?? 0.01,
      errors: (mix.length > 0 ? mix : DEFAULT_ERRORS) as ModelBehaviour['errors'],
      quality: p.quality ?? { mean: 0.6 + 0.3 * rank(m), sd: 0.12 },
      source: given.models?.[m.name] ? 'profile' : 'catalogue',
    });
  }
  const tools = new Map<string, ToolBehaviour>();
  for (const t of ir.tools) {
    const p = given.tools?.[t.name] ?? {};
    tools.set(t.name, {
      hitRate: p.hit_rate ?? 0.35,
      latency: p.latency_ms ?? { p50: 60, p95: 200 },
      quality: p.quality ?? { mean: 0.8, sd: 0.1 },
      errorRate: p.error_rate ?? 0.005,
    });
  }
  return {
    problems: [],
    profile: {
      seed: seedOverride ?? given.seed ?? 1,
      baseline,
      outputTokens: given.output_tokens ?? { p50: 350, p95: 1_200 },
      requestsPerSecond: given.requests_per_second ?? 20,
      models,
      tools,
      outages: given.outages ?? [],
    },
  };
}
