// Plan execution (language.md §6): runs a decided plan against the host's adapters —
// model calls with timeouts and retries, fallbacks by error class, cascades scored by
// validators, tool-first steps, sticky splits, adaptive choices, denials — within the
// per-request budget, re-checking assertions before every call, cancellable by the
// caller's AbortSignal. Returns what happened, attempt by attempt; never throws.

import { type Context, type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Breakers } from './breaker.js';
import { evaluate } from './evaluate.js';
import type { Assertion, CallOptions, ErrorClass, FallbackOn, Model, Plan, Tool, Until } from './ir.js';
import { inCandidate, type Rollout, rolloutBucket } from './rollout.js';
import { splitArm } from './split.js';
import { type Reservation, reserveIn, type StateStore, StateUnavailableError } from './state.js';
import type { ModelStats } from './stats.js';
import type { NormalizedRequest } from './values.js';

/** A chat message in OpenAI's format (`{ role, content, tool_calls?, tool_call_id? }`), the lingua franca adapters translate from. */
export type ChatMessage = Readonly<Record<string, unknown>>;

/** What a model adapter is asked to do. */
export interface ModelCall {
  readonly model: Model;
  readonly prompt: string;
  /**
   * The whole conversation, when the caller has one (the gateway does): adapters send it
   * instead of `prompt` as one user message. `prompt` is then the text the policy routed on.
   */
  readonly messages?: readonly ChatMessage[];
  /**
   * Request fields the router does not interpret (`tools`, `tool_choice`, `temperature`,
   * `response_format`…), in OpenAI's names: an OpenAI-protocol adapter sends them untouched,
   * another translates what its protocol has.
   */
  readonly passthrough?: Readonly<Record<string, unknown>>;
  /**
   * Set when the caller streams and this call's answer goes to the caller as it comes: call
   * it with each piece of text as it arrives. An adapter that does not stream may ignore it
   * (its answer is then sent in one piece).
   */
  readonly onDelta?: (text: string) => void;
  /** The prompt's token count (the policy's tokenizer), for an upstream that reports no usage. */
  readonly promptTokens: number;
  /** The policy's tokenizer, for counting an answer whose upstream reports no usage. */
  readonly countTokens: (text: string) => number;
  /** The output cap in force (`max_tokens`, else the model's `max_output`). */
  readonly maxTokens: number | undefined;
  /** The call's timeout in milliseconds (the plan's `timeout`, else the router's default); `signal` aborts when it passes. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** What a model adapter returns. */
export interface ModelAnswer {
  readonly text: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  /** Tool calls the model asked for, in OpenAI's format (`{ id, type: 'function', function: { name, arguments } }`). */
  readonly toolCalls?: readonly unknown[];
  /** Why the answer ended, in OpenAI's words: `stop`, `length`, `tool_calls`, `content_filter`. */
  readonly finishReason?: string;
}

/** Calls one provider. Throw a `ProviderError` to say which error class a failure is. */
export type ModelAdapter = (call: ModelCall) => Promise<ModelAnswer>;

/** A tool step (`try T else P`): an answer, or null when the tool has none. */
export type ToolAdapter = (input: {
  readonly prompt: string;
  readonly tool: Tool;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}) => Promise<{ readonly text: string } | null>;

/** Scores an answer in [0, 1]. */
export type Scorer = (answer: string, prompt: string) => number | Promise<number>;

/**
 * How a call can fail: a provider's class, `aborted` (the caller cancelled; no breaker
 * counts it, no fallback follows) or `state_unavailable` (a strict shared store could not
 * check the tenant's budget, so no call was made).
 */
export type FailureClass = ErrorClass | 'aborted' | 'state_unavailable';

/** A failure with its class, so that `fallback … on [...]` and retries can tell failures apart. */
export class ProviderError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    /** The upstream's HTTP status, when the failure was an HTTP answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/**
 * One call the run made (or refused to make). `errorClass` is a provider's class, or
 * `aborted` for a call the caller cancelled (`run(…, { signal })`): it counts against no
 * circuit breaker and triggers no fallback.
 */
export interface Attempt {
  readonly target: string;
  readonly kind: 'model' | 'tool';
  readonly outcome: 'ok' | 'error' | 'skipped';
  readonly errorClass?: FailureClass;
  readonly message?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Dollars. */
  readonly cost: number;
  readonly latencyMs: number;
  /** The validator's score, when the step was scored. */
  readonly score?: number;
  /** Milliseconds from the call's start to its first streamed text, when it streamed. */
  readonly firstTokenMs?: number;
  readonly attempt: number;
  /** What the request did after this call: fell back to the next plan, or escalated to the next cascade step. */
  readonly then?: 'fallback' | 'escalation';
}

/** What the executor needs from the router. */
export interface ExecutionContext {
  readonly models: ReadonlyMap<string, Model>;
  readonly tools: ReadonlyMap<string, Tool>;
  readonly adapters: Readonly<Record<string, ModelAdapter>>;
  readonly toolAdapters: Readonly<Record<string, ToolAdapter>>;
  readonly scorers: ReadonlyMap<string, Scorer>;
  readonly assertions: readonly Assertion[];
  readonly request: NormalizedRequest;
  readonly prompt: string;
  readonly promptTokens: number;
  /** Dollars this request may spend; Infinity without a budget. */
  readonly budget: number;
  readonly signal: AbortSignal;
  /** Waits between retries (injectable for tests and simulation). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A monotonic clock in milliseconds, for latencies (injectable for simulation). */
  readonly now: () => number;
  readonly random: () => number;
  /** Live statistics for `fastest` and `best`. */
  readonly stats: ModelStats;
  /** The most calls (model and tool) one request may make, retries included. */
  readonly maxAttempts: number;
  /** The timeout of a call whose plan sets none: a provider that never answers must not hold a request forever. */
  readonly defaultTimeoutMs: number;
  /** OpenTelemetry: the host's tracer and the request's span context, when tracing. */
  readonly tracing?: { readonly tracer: Tracer; readonly context: Context };
  readonly breakers: Breakers;
  /** Receives each shadow call's comparison with the plan's answer. */
  readonly onShadow?: (event: ShadowEvent) => void;
  /** The most one shadow call may cost (`budget { per_shadow }`). */
  readonly shadowBudget?: number;
  /** The controllers of the policy's rollouts, by name (a rollout without one serves its control). */
  readonly rollouts?: ReadonlyMap<string, Rollout>;
  /** The tenant's spend limit for the current window, when the policy has one. */
  readonly tenantBudget?: { readonly limit: number; readonly key: string; readonly ttlMs: number; readonly state: StateStore };
  readonly salt: string;
  /** The conversation and the fields passed through to the upstream (see `ModelCall`). */
  readonly messages?: readonly ChatMessage[];
  readonly passthrough?: Readonly<Record<string, unknown>>;
  readonly countTokens: (text: string) => number;
  /** Streaming: where the answer's text goes as it comes, and the longest wait for a call's first text. */
  readonly stream?: { readonly onDelta: (text: string, model: string | undefined) => void; readonly firstTokenTimeoutMs?: number };
}

/** A shadow call and how it compared with the plan's answer (scores when the shadow names a validator). */
export interface ShadowEvent {
  readonly shadow: string;
  readonly primary: string | undefined;
  readonly outcome: 'ok' | 'refused' | 'error';
  readonly message?: string;
  readonly cost: number;
  readonly latencyMs: number;
  readonly primaryScore?: number;
  readonly shadowScore?: number;
}

/** How a run moved through its plan. */
export interface Movement {
  /** Fallbacks taken (a primary failed and its secondary ran). */
  readonly fallbacks: number;
  /** Cascade escalations (a step scored too low or failed, and the next one ran). */
  readonly escalations: number;
  /** The rollout arms the run took, with the metric value recorded for each (absent when not measured). */
  readonly arms?: readonly RolloutArmTaken[];
}

/** A rollout arm a run took: what `routelang evaluate` reads from the decision log. */
export interface RolloutArmTaken {
  readonly rollout: string;
  readonly arm: 'control' | 'candidate';
  /** The metric in [0, 1] as recorded (a validator's score, or 1/0 for `errors`); absent when discarded or not measured. */
  readonly value?: number;
}

/** The result of running a plan. */
export type Execution = (
  | ({ readonly ok: true; readonly text: string; readonly model: string | undefined; readonly score: number | undefined } & AnswerExtras)
  | { readonly ok: false; readonly denied: string }
  | { readonly ok: false; readonly errorClass: FailureClass; readonly message: string }
) & { readonly attempts: readonly Attempt[] } & Movement;

/** What an answer carries besides its text. */
export interface AnswerExtras {
  readonly toolCalls?: readonly unknown[];
  readonly finishReason?: string;
  /** True when the text already went to the stream as it came (else a stream sends it in one piece). */
  readonly streamed?: boolean;
}

type StepResult = { text: string; model: string | undefined; score: number | undefined } & AnswerExtras;

class StepFailure extends Error {
  constructor(
    readonly errorClass: FailureClass,
    message: string,
    /** The upstream's HTTP status, when the failure was an HTTP answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Whether a fallback's `on` list (classes and status codes; absent: everything) takes a failure. */
function fallsBackOn(on: readonly FallbackOn[] | undefined, failure: StepFailure): boolean {
  if (!on) return true;
  return on.some((o) => (typeof o === 'number' ? o === failure.status : o === failure.errorClass));
}

class Denied extends Error {}

const RETRYABLE: ReadonlySet<ErrorClass> = new Set(['timeout', 'rate_limit', 'server_error']);

/** A signal nobody aborts: what a run without a caller signal gets (no listener needed). */
export const NEVER: AbortSignal = new AbortController().signal;

/** Runs a plan. Never throws. */
export async function execute(plan: Plan, ctx: ExecutionContext): Promise<Execution> {
  const attempts: Attempt[] = [];
  const run = new Run(ctx, attempts);
  try {
    return await runPlan(run, plan, ctx, attempts);
  } finally {
    run.finish();
  }
}

async function runPlan(run: Run, plan: Plan, ctx: ExecutionContext, attempts: Attempt[]): Promise<Execution> {
  const moved = (): Movement & { attempts: Attempt[] } => ({
    attempts,
    fallbacks: run.fallbacks,
    escalations: run.escalations,
    ...(run.arms.length > 0 ? { arms: run.arms } : {}),
  });
  try {
    const result = await run.plan(plan, {}, ctx.salt);
    if (ctx.stream && !run.committed && result.text !== '') ctx.stream.onDelta(result.text, result.model);
    return { ok: true, ...result, ...(ctx.stream ? { streamed: true } : {}), ...moved() };
  } catch (error) {
    if (error instanceof Denied) return { ok: false, denied: error.message, ...moved() };
    if (error instanceof StepFailure) return { ok: false, errorClass: error.errorClass, message: error.message, ...moved() };
    return { ok: false, errorClass: 'server_error', message: error instanceof Error ? error.message : String(error), ...moved() };
  }
}

class Run {
  private spent = 0;
  fallbacks = 0;
  readonly arms: RolloutArmTaken[] = [];
  escalations = 0;
  /**
   * Streaming: true once text has gone to the caller. From then on the answer cannot change:
   * a failure ends the run (no retry, fallback, escalation or next candidate).
   */
  committed = false;
  /** Steps whose answer may yet be rejected (cascade steps before the last, `try … until`) run buffered. */
  private buffered = 0;
  /** The signal adapters get. Calls in a run are sequential, so one controller serves them
   * all until a call times out; then it is aborted (cutting that call off) and replaced. */
  private controller = new AbortController();
  /** Rejects when the caller cancels (one listener per run, not per call). */
  readonly cancelled: Promise<never>;
  private readonly detach: () => void;

  constructor(
    private readonly ctx: ExecutionContext,
    private readonly attempts: Attempt[],
  ) {
    if (ctx.signal === NEVER) {
      this.cancelled = new Promise<never>(() => {});
      this.detach = () => {};
      return;
    }
    let onAbort: () => void = () => {};
    this.cancelled = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.controller.abort(ctx.signal.reason);
        reject(new StepFailure('aborted', 'the caller cancelled the request'));
      };
    });
    this.cancelled.catch(() => {});
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    this.detach = () => ctx.signal.removeEventListener('abort', onAbort);
  }

  /** Ends the run's link to the caller's signal. */
  finish(): void {
    this.detach();
  }

  /**
   * Runs one adapter call with a timeout: settles with the call, or rejects when the timeout
   * fires (aborting the call's signal) or the caller cancels. Late settlements of an
   * abandoned call are observed by the race, so they never become unhandled rejections.
   */
  private async guarded<T>(
    start: (signal: AbortSignal, firstText: () => void) => Promise<T> | T,
    timeoutMs: number,
    firstTokenMs?: number,
  ): Promise<{ value: T; signal: AbortSignal }> {
    const controller = this.controller;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let firstTimer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const fire = (message: string) => () => {
        clearTimeout(timer);
        clearTimeout(firstTimer);
        this.controller = new AbortController();
        controller.abort(new DOMException(message, 'TimeoutError'));
        reject(new ProviderError('timeout', message));
      };
      timer = setTimeout(fire('the call timed out'), timeoutMs);
      if (firstTokenMs !== undefined) firstTimer = setTimeout(fire(`no text within ${firstTokenMs} ms (the first-token limit)`), firstTokenMs);
    });
    try {
      const value = await Promise.race([Promise.resolve(start(controller.signal, () => clearTimeout(firstTimer))), timeout, this.cancelled]);
      return { value, signal: controller.signal };
    } finally {
      clearTimeout(timer);
      clearTimeout(firstTimer);
    }
  }

  async plan(plan: Plan, options: CallOptions, salt: string): Promise<StepResult> {
    if (this.ctx.signal.aborted) throw new StepFailure('aborted', 'the caller cancelled the request');
    switch (plan.kind) {
      case 'model':
        return this.call(plan.model, { ...options, ...plan.options });
      case 'with':
        return this.plan(plan.plan, { ...options, ...plan.options }, salt);
      case 'fallback':
        try {
          return await this.plan(plan.primary, options, `${salt}/p`);
        } catch (error) {
          if (!(error instanceof StepFailure) || error.errorClass === 'aborted' || this.committed) throw error;
          if (!fallsBackOn(plan.on, error)) throw error;
          this.fallbacks++;
          this.markLast('fallback');
          return this.plan(plan.secondary, options, `${salt}/s`);
        }
      case 'cascade':
        return this.cascade(plan.steps, plan.until, options, salt);
      case 'try':
        return this.tryTool(plan.tool, plan.until, plan.otherwise, options, salt);
      case 'split': {
        const arm =
          plan.arms[
            splitArm(
              plan.arms.map((a) => a.weight),
              this.ctx.request.read([plan.field]),
              salt,
            )
          ];
        if (!arm) throw new StepFailure('server_error', 'the split has no arm');
        return this.plan(arm.plan, options, `${salt}/${plan.arms.indexOf(arm)}`);
      }
      case 'rollout':
        return this.rollout(plan, options, salt);
      case 'shadow':
        return this.shadow(plan, options, salt);
      case 'choice':
        return this.choice(plan, options, salt);
      case 'deny':
        throw new Denied(plan.reason);
      case 'route':
        throw new StepFailure('server_error', `route \`${plan.route}\` was not resolved by decide()`);
    }
  }

  /**
   * A rollout: the caller's key picks the arm (sticky: a bucket in the candidate stays there as
   * its share grows), the arm runs, and its outcome goes to the rollout's controller, which
   * moves the stage when the evidence says so. Recording never delays or fails the answer.
   */
  private async rollout(plan: Extract<Plan, { kind: 'rollout' }>, options: CallOptions, salt: string): Promise<StepResult> {
    const controller = this.ctx.rollouts?.get(plan.name);
    const bucket = rolloutBucket(plan.name, this.ctx.request.read([plan.field]));
    const arm = controller && inCandidate(bucket, controller.share()) ? 'candidate' : 'control';
    const started = this.ctx.now();
    const firstAttempt = this.attempts.length;
    try {
      const answer = await this.plan(arm === 'candidate' ? plan.candidate : plan.control, options, `${salt}/${arm}`);
      const metric = plan.metric;
      const measured =
        metric.kind === 'errors'
          ? 1
          : metric.kind === 'latency_under'
            ? Number(this.ctx.now() - started <= metric.ms)
            : metric.kind === 'cost_under'
              ? Number(this.attempts.slice(firstAttempt).reduce((sum, a) => sum + a.cost, 0) <= metric.usd)
              : await this.rawScore(metric.validator, answer);
      this.arms.push({ rollout: plan.name, arm, ...(Number.isFinite(measured) && measured >= 0 && measured <= 1 ? { value: measured } : {}) });
      if (controller) void controller.observe({ arm, value: measured, error: false, latencyMs: this.ctx.now() - started });
      return answer;
    } catch (error) {
      if (!(error instanceof StepFailure && error.errorClass === 'aborted') && !(error instanceof Denied)) {
        // A failed call misses every objective; a validator has nothing to score.
        const missed = plan.metric.kind === 'score' ? undefined : 0;
        this.arms.push({ rollout: plan.name, arm, ...(missed !== undefined ? { value: missed } : {}) });
        void controller?.observe({ arm, value: missed, error: true, latencyMs: this.ctx.now() - started });
      }
      throw error;
    }
  }

  /**
   * A shadow: for `share` of requests, the shadow model is called in the background with the
   * same conversation, beside the plan; the caller gets the plan's answer only, never waits for
   * the shadow and never sees its failure. When both have answered, both are scored by the
   * validator and the comparison goes to `onShadow`. The shadow call is checked against the
   * assertions and `per_shadow` like any call, and its spend is not the request's.
   */
  private async shadow(plan: Extract<Plan, { kind: 'shadow' }>, options: CallOptions, salt: string): Promise<StepResult> {
    const report = this.ctx.onShadow;
    const mirrored = this.ctx.random() * 100 < plan.share ? this.shadowCall(plan.shadow) : undefined;
    const answer = await this.plan(plan.plan, options, salt);
    if (mirrored && report) {
      void mirrored.then(async (shadow) => {
        const scored = plan.validator !== undefined && shadow.text !== undefined;
        const [primaryScore, shadowScore] = scored
          ? await Promise.all([
              this.rawScore(plan.validator as string, answer),
              this.rawScore(plan.validator as string, { text: shadow.text as string, model: plan.shadow, score: undefined }),
            ])
          : [undefined, undefined];
        try {
          report({
            shadow: plan.shadow,
            primary: answer.model,
            outcome: shadow.outcome,
            ...(shadow.message !== undefined ? { message: shadow.message } : {}),
            cost: shadow.cost,
            latencyMs: shadow.latencyMs,
            ...(primaryScore !== undefined && Number.isFinite(primaryScore) ? { primaryScore } : {}),
            ...(shadowScore !== undefined && Number.isFinite(shadowScore) ? { shadowScore } : {}),
          });
        } catch {
          // The host's listener failing is the host's.
        }
      });
    }
    return answer;
  }

  /** One background call of a shadow model; never throws, never counts toward the request. */
  private async shadowCall(name: string): Promise<{ outcome: 'ok' | 'refused' | 'error'; text?: string; message?: string; cost: number; latencyMs: number }> {
    const started = this.ctx.now();
    const model = this.ctx.models.get(name);
    const adapter = model ? this.ctx.adapters[model.provider] : undefined;
    if (!model || !adapter) return { outcome: 'error', message: `no adapter for model \`${name}\``, cost: 0, latencyMs: 0 };
    const broken = this.ctx.assertions.find((a) => !evaluate(a.condition, this.ctx.request, model));
    if (broken)
      return { outcome: 'refused', message: `assertion${broken.label ? ` "${broken.label}"` : ''} does not hold for \`${name}\``, cost: 0, latencyMs: 0 };
    const maxTokens = model.maxOutput;
    const estimate = Math.min(this.ctx.promptTokens, model.context) * model.inputPrice + (maxTokens ?? model.context) * model.outputPrice;
    if (estimate > (this.ctx.shadowBudget ?? Number.POSITIVE_INFINITY))
      return { outcome: 'refused', message: `\`${name}\` could cost $${estimate.toFixed(4)}, over the shadow budget`, cost: 0, latencyMs: 0 };
    const controller = new AbortController();
    const timeoutMs = this.ctx.defaultTimeoutMs;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const raw = await adapter({
        model,
        prompt: this.ctx.prompt,
        maxTokens,
        timeoutMs,
        signal: controller.signal,
        promptTokens: this.ctx.promptTokens,
        countTokens: this.ctx.countTokens,
        ...(this.ctx.messages ? { messages: this.ctx.messages } : {}),
      });
      const answer = checkAnswer(raw, name);
      const cost = answer.usage.inputTokens * model.inputPrice + answer.usage.outputTokens * model.outputPrice;
      return { outcome: 'ok', text: answer.text, cost, latencyMs: this.ctx.now() - started };
    } catch (error) {
      return { outcome: 'error', message: messageOf(error), cost: 0, latencyMs: this.ctx.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A validator's score as the scorer gave it (NaN when it failed), for a rollout's metric: the controller discards what is not in [0, 1]. */
  private async rawScore(validator: string, answer: StepResult): Promise<number> {
    const scorer = this.ctx.scorers.get(validator);
    if (!scorer) return Number.NaN;
    try {
      const s = await scorer(answer.text, this.ctx.prompt);
      return typeof s === 'number' ? s : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  private async cascade(steps: readonly Plan[], until: Until, options: CallOptions, salt: string): Promise<StepResult> {
    let last: StepResult | undefined;
    let lastError: StepFailure | undefined;
    for (let i = 0; i < steps.length; i++) {
      if (i > 0) {
        this.escalations++;
        this.markLast('escalation');
      }
      // Only the last step's answer is certain to be the cascade's: the others run buffered.
      const final = i === steps.length - 1;
      if (!final) this.buffered++;
      try {
        const answer = await this.plan(steps[i] as Plan, options, `${salt}/c${i}`);
        const score = await this.score(until.validator, answer);
        this.scoreLastAttempt(answer.model, score);
        last = { ...answer, score };
        if (passes(score, until)) return last;
      } catch (error) {
        if (!(error instanceof StepFailure) || error.errorClass === 'aborted' || this.committed) throw error;
        lastError = error; // a failed step escalates like a low score
      } finally {
        if (!final) this.buffered--;
      }
    }
    if (last) return last;
    throw lastError ?? new StepFailure('server_error', 'the cascade has no step');
  }

  private async tryTool(name: string, until: Until | undefined, otherwise: Plan, options: CallOptions, salt: string): Promise<StepResult> {
    const tool = this.ctx.tools.get(name);
    const adapter = this.ctx.toolAdapters[name];
    if (tool && adapter) {
      const started = this.ctx.now();
      let signal: AbortSignal = this.controller.signal;
      try {
        const timeoutMs = tool.timeoutMs ?? this.ctx.defaultTimeoutMs;
        const call = await this.guarded((s) => adapter({ prompt: this.ctx.prompt, tool, timeoutMs, signal: s }), timeoutMs);
        signal = call.signal;
        const found = call.value;
        if (found !== null && (typeof found !== 'object' || typeof found.text !== 'string'))
          throw new ProviderError('server_error', `tool \`${name}\` returned a malformed answer`);
        const latencyMs = this.ctx.now() - started;
        this.spent += tool.cost ?? 0;
        if (found) {
          const score = until ? await this.score(until.validator, { text: found.text, model: undefined, score: undefined }) : undefined;
          this.attempts.push({
            target: name,
            kind: 'tool',
            outcome: 'ok',
            inputTokens: 0,
            outputTokens: 0,
            cost: tool.cost ?? 0,
            latencyMs,
            attempt: 1,
            ...(score !== undefined ? { score } : {}),
          });
          if (!until || passes(score as number, until)) return { text: found.text, model: undefined, score };
        } else {
          this.attempts.push({
            target: name,
            kind: 'tool',
            outcome: 'ok',
            message: 'no answer',
            inputTokens: 0,
            outputTokens: 0,
            cost: tool.cost ?? 0,
            latencyMs,
            attempt: 1,
          });
        }
      } catch (error) {
        // A cancelled tool call is recorded like a cancelled model call, and ends the request.
        const aborted = this.ctx.signal.aborted;
        this.attempts.push({
          target: name,
          kind: 'tool',
          outcome: 'error',
          errorClass: aborted ? 'aborted' : classOf(error, signal),
          message: aborted ? 'the caller cancelled the request' : messageOf(error),
          inputTokens: 0,
          outputTokens: 0,
          cost: 0,
          latencyMs: this.ctx.now() - started,
          attempt: 1,
        });
        if (aborted) throw new StepFailure('aborted', 'the caller cancelled the request');
      }
    }
    return this.plan(otherwise, options, `${salt}/e`);
  }

  private async choice(plan: Plan & { kind: 'choice' }, options: CallOptions, salt: string): Promise<StepResult> {
    const candidates = plan.candidates.map((c, i) => ({ c, i, model: this.ctx.models.get(modelOf(c) ?? '') }));
    const key = (x: (typeof candidates)[number]): number => {
      if (!x.model) return Number.POSITIVE_INFINITY;
      if (plan.strategy === 'fastest') return this.ctx.stats.latencyOf(x.model);
      if (plan.strategy === 'cheapest') return x.model.inputPrice * this.ctx.promptTokens + x.model.outputPrice * (x.model.maxOutput ?? 0);
      return -this.ctx.stats.scoreOf(x.model.name);
    };
    const ordered = [...candidates].sort((a, b) => key(a) - key(b) || a.i - b.i);
    let lastError: StepFailure | undefined;
    // The chosen candidate first; if it fails, the next best (a choice is also a failover).
    for (const { c, i } of ordered) {
      try {
        const answer = await this.plan(c, options, `${salt}/k${i}`);
        if (plan.strategy === 'best' && plan.validator && answer.model) {
          const score = await this.score(plan.validator, answer);
          this.scoreLastAttempt(answer.model, score);
          this.ctx.stats.recordScore(answer.model, score);
          return { ...answer, score };
        }
        return answer;
      } catch (error) {
        if (!(error instanceof StepFailure) || error.errorClass === 'aborted' || this.committed) throw error;
        lastError = error;
      }
    }
    throw lastError ?? new StepFailure('server_error', 'no candidate');
  }

  /** Records on the latest attempt what the request did next. */
  private markLast(then: 'fallback' | 'escalation'): void {
    const last = this.attempts[this.attempts.length - 1];
    if (last) this.attempts[this.attempts.length - 1] = { ...last, then };
  }

  /** Puts the validator's score on the attempt that produced the answer (the last success of `model`). */
  private scoreLastAttempt(model: string | undefined, score: number): void {
    for (let i = this.attempts.length - 1; i >= 0; i--) {
      const a = this.attempts[i] as Attempt;
      if (a.outcome === 'ok' && a.target === model) {
        this.attempts[i] = { ...a, score };
        return;
      }
    }
  }

  private async score(validator: string, answer: StepResult): Promise<number> {
    const scorer = this.ctx.scorers.get(validator);
    if (!scorer) throw new StepFailure('server_error', `no scorer for validator \`${validator}\``);
    try {
      const s = await scorer(answer.text, this.ctx.prompt);
      // A score outside [0, 1] is a broken scorer: it cannot vouch for the answer.
      return typeof s === 'number' && s >= 0 && s <= 1 ? s : 0;
    } catch {
      return 0; // a scorer that fails cannot vouch for the answer
    }
  }

  /** Reports a call refused before it started, and fails the step with its class. */
  private skipCall(name: string, errorClass: FailureClass, message: string): never {
    this.attempts.push({
      target: name,
      kind: 'model',
      outcome: 'skipped',
      errorClass,
      message,
      inputTokens: 0,
      outputTokens: 0,
      cost: 0,
      latencyMs: 0,
      attempt: 0,
    });
    throw new StepFailure(errorClass, message);
  }

  /** One model, with assertion and budget checks, timeout and retries. */
  private async call(name: string, options: CallOptions): Promise<StepResult> {
    const model = this.ctx.models.get(name);
    const adapter = model ? this.ctx.adapters[model.provider] : undefined;
    const skip = (errorClass: FailureClass, message: string): never => this.skipCall(name, errorClass, message);
    if (!model || !adapter) return skip('server_error', `no adapter for model \`${name}\``);
    // Defence in depth: the compiler proved the assertions; re-check them before each call.
    const broken = this.ctx.assertions.find((a) => !evaluate(a.condition, this.ctx.request, model));
    if (broken) return skip('refusal', `assertion${broken.label ? ` "${broken.label}"` : ''} does not hold for \`${name}\``);
    const maxTokens = options.maxTokens ?? model.maxOutput;
    const estimate = Math.min(this.ctx.promptTokens, model.context) * model.inputPrice + (maxTokens ?? model.context) * model.outputPrice;
    if (this.spent + estimate > this.ctx.budget) return skip('budget', `\`${name}\` could cost $${estimate.toFixed(4)}, over what is left of the budget`);
    // The tenant's window: reserve the worst case before the call (atomically: concurrent
    // requests of one tenant each see the others' reservations), settle to the actual cost
    // after it, release on any other way out. Spend can then never pass the cap.
    const tenant = this.ctx.tenantBudget;
    let reservation: Reservation | undefined;
    if (tenant) {
      try {
        reservation = await reserveIn(tenant.state, tenant.key, estimate, tenant.limit, tenant.ttlMs);
      } catch (error) {
        // A strict store that cannot reach its shared state: refuse rather than risk the budget.
        const why = error instanceof StateUnavailableError ? error.message : messageOf(error);
        return skip('state_unavailable', `the tenant's budget cannot be checked: ${why}`);
      }
      if (!reservation) return skip('budget', `\`${name}\` could cost $${estimate.toFixed(4)}, over what is left of the tenant's budget`);
    }
    let settled = false;
    try {
      return await this.attemptCall(name, model, adapter, options, maxTokens, (cost) => {
        settled = true;
        return reservation ? settleQuietly(reservation, cost) : undefined;
      });
    } finally {
      if (reservation && !settled) await settleQuietly(reservation, 0);
    }
  }

  /** The attempts of one model call (retries included); `settle` books a successful call's cost. */
  private async attemptCall(
    name: string,
    model: Model,
    adapter: ModelAdapter,
    options: CallOptions,
    maxTokens: number | undefined,
    settle: (cost: number) => unknown,
  ): Promise<StepResult> {
    const skip = (errorClass: FailureClass, message: string): never => this.skipCall(name, errorClass, message);
    const breaker = this.ctx.breakers.of(name);
    const retries = options.retries ?? 0;
    let lastError: StepFailure | undefined;
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      if (attempt > 1) await this.backoff(attempt);
      if (this.attempts.length >= this.ctx.maxAttempts) return skip('budget', `the request has made ${this.ctx.maxAttempts} attempts, the most allowed`);
      // An open circuit refuses the call, so a fallback takes the traffic at once.
      let admitted = this.ctx.breakers.admit(name);
      if (typeof admitted !== 'boolean') admitted = await admitted;
      if (!admitted) return skip('circuit_open', `the circuit of \`${name}\` is open after repeated failures`);
      let signal: AbortSignal = this.controller.signal;
      const started = this.ctx.now();
      const span = this.ctx.tracing?.tracer.startSpan(
        `routelang.call ${name}`,
        { attributes: { 'routelang.model': name, 'gen_ai.system': model.provider, 'gen_ai.request.model': model.id, 'routelang.attempt': attempt } },
        this.ctx.tracing.context,
      );
      let firstTokenMs: number | undefined;
      try {
        const timeoutMs = options.timeoutMs ?? this.ctx.defaultTimeoutMs;
        const stream = this.buffered === 0 ? this.ctx.stream : undefined;
        const call = await this.guarded(
          (s, firstText) => {
            // Text goes to the caller only while this call is the live one: a call that timed
            // out (its signal aborted) may still emit, and is ignored.
            const onDelta = stream
              ? (text: string) => {
                  if (s.aborted || typeof text !== 'string' || text === '') return;
                  if (firstTokenMs === undefined) {
                    firstTokenMs = this.ctx.now() - started;
                    firstText();
                  }
                  this.committed = true;
                  stream.onDelta(text, name);
                }
              : undefined;
            return adapter({
              model,
              prompt: this.ctx.prompt,
              maxTokens,
              timeoutMs,
              signal: s,
              promptTokens: this.ctx.promptTokens,
              countTokens: this.ctx.countTokens,
              ...(this.ctx.messages ? { messages: this.ctx.messages } : {}),
              ...(this.ctx.passthrough ? { passthrough: this.ctx.passthrough } : {}),
              ...(onDelta ? { onDelta } : {}),
            });
          },
          timeoutMs,
          stream?.firstTokenTimeoutMs,
        );
        signal = call.signal;
        const answer = checkAnswer(call.value, name);
        endSpan(span, { 'gen_ai.usage.input_tokens': answer.usage.inputTokens, 'gen_ai.usage.output_tokens': answer.usage.outputTokens });
        const latencyMs = this.ctx.now() - started;
        const cost = answer.usage.inputTokens * model.inputPrice + answer.usage.outputTokens * model.outputPrice;
        this.spent += cost;
        await settle(cost);
        this.ctx.stats.recordLatency(name, latencyMs);
        breaker.record(true);
        this.attempts.push({
          target: name,
          kind: 'model',
          outcome: 'ok',
          inputTokens: answer.usage.inputTokens,
          outputTokens: answer.usage.outputTokens,
          cost,
          latencyMs,
          ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
          attempt,
        });
        return {
          text: answer.text,
          model: name,
          score: undefined,
          ...(answer.toolCalls !== undefined ? { toolCalls: answer.toolCalls } : {}),
          ...(answer.finishReason !== undefined ? { finishReason: answer.finishReason } : {}),
        };
      } catch (error) {
        // A caller's abort is no outcome of the model's: it frees a half-open probe slot instead
        // of counting against the circuit, and ends the request.
        const aborted = this.ctx.signal.aborted;
        const errorClass = aborted ? 'aborted' : classOf(error, signal);
        const message = aborted ? 'the caller cancelled the request' : messageOf(error);
        endSpan(span, { 'routelang.error_class': errorClass }, message);
        this.attempts.push({
          target: name,
          kind: 'model',
          outcome: 'error',
          errorClass,
          message,
          inputTokens: 0,
          outputTokens: 0,
          cost: 0,
          latencyMs: this.ctx.now() - started,
          ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
          attempt,
        });
        if (errorClass === 'aborted') {
          breaker.release();
          throw new StepFailure('aborted', message);
        }
        // Provider trouble counts against the circuit; a refusal is an answer, not an outage.
        breaker.record(!RETRYABLE.has(errorClass));
        lastError = new StepFailure(errorClass, `\`${name}\`: ${message}`, error instanceof ProviderError ? error.status : undefined);
        // Once text went to the caller, a retry would send a second answer after part of the first.
        if (!RETRYABLE.has(errorClass) || this.committed) break;
      }
    }
    throw lastError as StepFailure;
  }

  /** Exponential backoff with full jitter: up to 100 ms × 2^(attempt - 2), capped at 5 s. */
  private async backoff(attempt: number): Promise<void> {
    const cap = Math.min(5_000, 100 * 2 ** (attempt - 2));
    await this.ctx.sleep(this.ctx.random() * cap, this.ctx.signal);
    if (this.ctx.signal.aborted) throw new StepFailure('aborted', 'the caller cancelled the request');
  }
}

function endSpan(span: Span | undefined, attributes: Record<string, string | number>, error?: string): void {
  if (!span) return;
  span.setAttributes(attributes);
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}

/** Checks an adapter's answer: a provider that returns garbage fails like any other. */
function checkAnswer(answer: unknown, name: string): ModelAnswer {
  const a = answer as { text?: unknown; usage?: { inputTokens?: unknown; outputTokens?: unknown }; toolCalls?: unknown; finishReason?: unknown } | null;
  const ok = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (
    !a ||
    typeof a.text !== 'string' ||
    !a.usage ||
    !ok(a.usage.inputTokens) ||
    !ok(a.usage.outputTokens) ||
    (a.toolCalls !== undefined && !Array.isArray(a.toolCalls)) ||
    (a.finishReason !== undefined && typeof a.finishReason !== 'string')
  ) {
    throw new ProviderError('server_error', `\`${name}\` returned a malformed answer`);
  }
  return a as ModelAnswer;
}

function passes(score: number, until: Until): boolean {
  return until.op === '>' ? score > until.threshold : score >= until.threshold;
}

function modelOf(plan: Plan): string | undefined {
  if (plan.kind === 'model') return plan.model;
  if (plan.kind === 'with') return modelOf(plan.plan);
  return undefined;
}

function classOf(error: unknown, signal: AbortSignal): ErrorClass {
  if (error instanceof ProviderError) return error.errorClass;
  if (signal.aborted) return 'timeout';
  return 'server_error';
}

/** Settles a reservation; a store that fails to is the store's to report, not the request's. */
async function settleQuietly(reservation: Reservation, cost: number): Promise<void> {
  try {
    await reservation.settle(cost);
  } catch {
    // Nothing to do: the answer stands, and a failing store reports itself.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
