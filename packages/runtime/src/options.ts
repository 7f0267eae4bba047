// Router options, checked with zod at load: a wrong option is a `RouterLoadError` naming
// its path, not a surprise at the first request. (Completeness against the policy, such
// as an adapter per provider, is checked by the router, which knows the policy.)

import { z } from 'zod';

// (zod may compile these checks with `new Function`; where code generation is forbidden it
// falls back to interpreting them, and `decide()` never runs them.)

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'must be a function' });
const fnRecord = z.record(z.string(), fn);

export const RouterOptionsSchema = z
  .object({
    adapters: fnRecord.optional(),
    tools: fnRecord.optional(),
    validators: fnRecord.optional(),
    schemas: z.record(z.string(), z.object({}).passthrough()).optional(),
    classifiers: fnRecord.optional(),
    tokenizer: z.union([z.enum(['o200k_base', 'cl100k_base']), fn]).optional(),
    limits: z
      .object({ maxTextLength: z.number().int().positive(), maxStringLength: z.number().int().positive(), maxListLength: z.number().int().positive() })
      .partial()
      .strict()
      .optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    defaultTimeoutMs: z.number().positive().optional(),
    breaker: z
      .object({ window: z.number().int().min(1), minCalls: z.number().int().min(1), failureRate: z.number().gt(0).max(1), openMs: z.number().positive() })
      .partial()
      .strict()
      .optional(),
    now: fn.optional(),
    clock: z.object({ now: fn, sleep: fn }).passthrough().optional(),
    random: fn.optional(),
    state: z
      .union([
        z.string().regex(/^(redis|rediss|valkey):\/\//, 'must be a redis:// (or rediss://, valkey://) URL'),
        z.object({ get: fn, add: fn }).passthrough(),
      ])
      .optional(),
    telemetry: z
      .object({
        onEvent: fn.optional(),
        onRollout: fn.optional(),
        onShadow: fn.optional(),
        onDrift: fn.optional(),
        tracer: z.object({ startSpan: fn }).passthrough().optional(),
      })
      .strict()
      .optional(),
    firstTokenTimeoutMs: z.number().positive().optional(),
    drift: z
      .object({ window: z.number().int().min(20).optional(), alpha: z.number().gt(0).lt(0.5).optional() })
      .strict()
      .optional(),
    upstreams: z.record(z.string(), z.string().regex(/^https?:\/\/[^\s/]+/, 'must be an http(s) URL')).optional(),
    fetch: fn.optional(),
    compiled: z.object({ format: z.string(), fingerprint: z.string(), validate: fn, walk: fn }).passthrough().optional(),
  })
  .strict();

/** The problems of an options object, each with its path (empty when it is valid). */
export function optionProblems(options: unknown): { path: string; message: string }[] {
  const result = RouterOptionsSchema.safeParse(options ?? {});
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: `/options/${issue.path.map(String).join('/')}`, message: issue.message }));
}
