// The router: loads a compiled policy (validated against the IR schema with a
// precompiled validator) and decides requests. `decide()` is pure and synchronous: it
// validates the request, walks the entry route's decision graph (and any named route
// it continues in), and returns the deciding rule and plan. It never throws.

import { context as otelContext, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { anthropicMessages } from './anthropic.js';
import { type BreakerOptions, type BreakerState, Breakers, DEFAULT_BREAKER } from './breaker.js';
import type { ExternClassifier } from './classify.js';
import { type CompiledDecide, type CompiledHost, compiledProblems } from './compiled.js';
import { type CompiledRoute, type Decision, type Refusal, RouterDecision, type RuleRef } from './decision.js';
import { type DriftEvent, DriftMonitor, type DriftStatus } from './drift.js';
import { evaluate } from './evaluate.js';
import {
  type AnswerExtras,
  type Attempt,
  type ChatMessage,
  type Execution,
  execute,
  type ModelAdapter,
  NEVER,
  type RolloutArmTaken,
  type Scorer,
  type ShadowEvent,
  type ToolAdapter,
} from './execute.js';
import { validate as validateIr } from './generated/validate-ir.js';
import { compileGraph, graphProblems, walk } from './graph.js';
import type { Classifier, Model, Plan, PolicyIR, Provider, Tool, Value } from './ir.js';
import { openAICompatible } from './openai.js';
import { optionProblems } from './options.js';
import { firstTarget, mapSubPlans, needsResolving, planModels, planTools, subPlans } from './plans.js';
import { classifyField, DEFAULT_LIMITS, fieldAccepts, fieldChecks, normalized, type RequestContext, type RequestError, type RequestLimits } from './request.js';
import { Rollout, type RolloutEvent, type RolloutStatus } from './rollout.js';
import { splitArm } from './split.js';
import { memoryState, type StateStore, tenantWindow } from './state.js';
import { ModelStats } from './stats.js';
import { Metrics, type MetricsSnapshot, type RunEvent } from './telemetry.js';
import { loadTokenizer, type TokenizerName } from './tokenizer.js';
import { buildScorers } from './validators.js';
import { NormalizedRequest, type TokenCounter } from './values.js';

/** Options of `Router.load`. */
export interface RouterOptions {
  /** Model adapters by provider. Required (for every provider the policy uses) to call `run()`. */
  readonly adapters?: Readonly<Record<string, ModelAdapter>>;
  /** Tool adapters by tool name. */
  readonly tools?: Readonly<Record<string, ToolAdapter>>;
  /** Host scorers for `validator V = extern "name"`, by name. */
  readonly validators?: Readonly<Record<string, Scorer>>;
  /** JSON Schemas for `validator V = schema "path"`, by the path as written in the IR. */
  readonly schemas?: Readonly<Record<string, object>>;
  /** The most calls one request may make, retries and fallbacks included (default 8). */
  readonly maxAttempts?: number;
  /** The timeout of calls whose plan sets none (default 60 s). */
  readonly defaultTimeoutMs?: number;
  /** Circuit breaker settings (per model). */
  readonly breaker?: Partial<BreakerOptions>;
  /** The clock (milliseconds), for breakers and budget windows; `Date.now` by default. */
  readonly now?: () => number;
  /**
   * The clock latencies are measured with and retries wait on: `performance.now` and real
   * timers by default. A simulation passes a virtual clock whose `sleep` advances time at once.
   */
  readonly clock?: Clock;
  /** The random source for retry jitter (`Math.random` by default; seed it to replay a run). */
  readonly random?: () => number;
  /**
   * Where tenant spend, rate windows, circuit breakers and live statistics are kept:
   * in-process by default. A fleet shares one: `redisState(url)` from `@routelang/redis`, or
   * its URL (`redis://HOST:PORT/DB?mode=strict`), which the router opens (the package must be
   * installed) and closes in `close()`. See docs/deployment.md.
   */
  readonly state?: StateStore | string;
  /**
   * Receives the decision-log event of every `run()` (errors it throws are ignored); with a
   * `tracer` (from `@opentelemetry/api`), each run is a span and each model call a child span.
   */
  readonly telemetry?: {
    readonly onEvent?: (event: RunEvent) => void;
    /** Receives every stage change of a rollout (advance, complete, rollback), with its evidence. */
    readonly onRollout?: (event: RolloutEvent) => void;
    /** Receives each window of a model's calls that drifted from its reference (see `drift`). */
    readonly onDrift?: (event: DriftEvent) => void;
    /** Receives each shadow call (`P shadow M 10% by V`) with its outcome, cost and both scores. */
    readonly onShadow?: (event: ShadowEvent) => void;
    readonly tracer?: Tracer;
  };
  /** The tokenizer for `prompt.tokens`: a named encoding (default `o200k_base`) or a counter. */
  readonly tokenizer?: TokenizerName | TokenCounter;
  /** Host classifiers for `classifier … = extern "name"`, by name. */
  readonly classifiers?: Readonly<Record<string, ExternClassifier>>;
  /** Limits on request sizes. */
  readonly limits?: Partial<RequestLimits>;
  /**
   * Streaming: the longest a call may take to send its first text before it counts as a
   * timeout (and the plan falls back). Default: none (only the call's timeout).
   */
  readonly firstTokenTimeoutMs?: number;
  /**
   * Drift monitoring per model (score, error rate, latency, output tokens, cost): calls per
   * window (default 500) and the false-alarm level per window and series (default 0.001).
   */
  readonly drift?: { readonly window?: number; readonly alpha?: number };
  /** Base URLs that replace declared providers' `base_url` (`--upstream NAME=URL`), by provider name. */
  readonly upstreams?: Readonly<Record<string, string>>;
  /** The fetch declared providers' adapters use (default: the global one). */
  readonly fetch?: typeof fetch;
  /**
   * The policy's ahead-of-time compiled decision module (`routelang compile --emit js`,
   * imported as a namespace): requests are validated and graphs walked by its code instead of
   * the interpreted tables, with the same results. Refused at load when it was compiled from
   * another IR.
   */
  readonly compiled?: CompiledDecide;
}

/** A monotonic clock: `now()` in milliseconds, and a wait that ends early when `signal` aborts. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Adapters for the policy's declared providers (`provider NAME { … }`), with `upstreams` overriding base URLs. */
function providerAdapters(providers: readonly Provider[], options: RouterOptions): Record<string, ModelAdapter> {
  const out: Record<string, ModelAdapter> = {};
  for (const p of providers) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(p.headers ?? {})) {
      const text = 'env' in value ? process.env[value.env] : value.value;
      if (text !== undefined) headers[name] = text;
    }
    const settings = {
      baseUrl: options.upstreams?.[p.name] ?? p.baseUrl,
      ...(p.apiKeyEnv !== undefined ? { apiKeyEnv: p.apiKeyEnv } : {}),
      headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    out[p.name] = p.protocol === 'anthropic' ? anthropicMessages(settings) : openAICompatible(settings);
  }
  return out;
}

/** Per-call options of `run()`. */
export interface RunOptions {
  /** Aborts the run: the call in flight ends with the class `aborted`. */
  readonly signal?: AbortSignal;
  /** Carried into the decision-log event, to join it with the host's own logs (default: a random UUID). */
  readonly requestId?: string;
  /**
   * The whole conversation in OpenAI's message format, sent to the model instead of the
   * prompt field as one user message (the policy still routes on the request's fields).
   */
  readonly messages?: readonly ChatMessage[];
  /** Fields sent to the upstream untouched (`tools`, `temperature`, …; see `ModelCall.passthrough`). */
  readonly passthrough?: Readonly<Record<string, unknown>>;
  /**
   * Streams the answer: receives its text as it comes (see `stream()`). Retries, fallbacks
   * and escalations happen freely until the first text is sent; after that a failure ends
   * the run with its error class.
   */
  readonly onDelta?: (text: string, model: string | undefined) => void;
  /** Overrides the router's `firstTokenTimeoutMs` for this run. */
  readonly firstTokenTimeoutMs?: number;
  /** Start from this named route instead of the entry route. */
  readonly route?: string;
  /** Called with the decision as soon as it is made, before any call (the gateway's headers need its rule). */
  readonly onDecision?: (decision: Decision) => void;
  /**
   * Call this catalogue model instead of the decided plan (the caller named it). It is
   * served only when every `assert` holds for it on this request; else the run is denied
   * naming the assertion. `rule` is still the rule the policy would have chosen.
   */
  readonly model?: string;
}

/** Options of `decide()`. */
export interface DecideOptions {
  /** Decide from this named route instead of the entry route. */
  readonly route?: string;
}

/** What `stream()` yields: the answer's text as it comes, then the run's result. */
export type StreamEvent =
  | { readonly type: 'text'; readonly text: string /** The model whose answer this is (undefined for a tool's). */; readonly model: string | undefined }
  | { readonly type: 'done'; readonly result: RunResult };

/** What `run()` returns. */
export type RunResult =
  | ({ readonly ok: true; readonly text: string; readonly model: string | undefined; readonly score: number | undefined } & AnswerExtras & RunFacts)
  | ({ readonly ok: false; readonly denied: string } & RunFacts)
  | ({
      readonly ok: false;
      readonly errorClass: string;
      readonly message: string;
      /** Streaming: text had already gone to the caller when the run failed. */
      readonly streamed?: boolean;
    } & RunFacts)
  | { readonly ok: false; readonly errors: readonly RequestError[]; readonly attempts: readonly Attempt[]; readonly cost: number; readonly latencyMs: number };

interface RunFacts {
  readonly rule: RuleRef;
  /** Fallbacks taken. */
  readonly fallbacks: number;
  /** Cascade escalations. */
  readonly escalations: number;
  /** Every call made or refused, in order, with outcome, tokens, cost and latency. */
  readonly attempts: readonly Attempt[];
  /** Dollars spent. */
  readonly cost: number;
  readonly latencyMs: number;
  /** The rollout arms taken, with the metric recorded for each. */
  readonly arms?: readonly RolloutArmTaken[];
}

/** Opens a state store from its URL through `@routelang/redis`, found from the runtime or from the host's working directory. */
async function openState(url: string): Promise<StateStore> {
  const name = '@routelang/redis';
  let mod: { redisState?: (url: string) => StateStore } | undefined;
  try {
    mod = (await import(name)) as typeof mod;
  } catch {
    try {
      const { createRequire } = await import('node:module');
      const { pathToFileURL } = await import('node:url');
      const resolved = createRequire(`${process.cwd()}/package.json`).resolve(name);
      mod = (await import(pathToFileURL(resolved).href)) as typeof mod;
    } catch {
      mod = undefined;
    }
  }
  if (typeof mod?.redisState !== 'function')
    throw new RouterLoadError('the state URL needs @routelang/redis', [
      { path: '/options/state', message: `a \`${url.split(':')[0]}://\` state needs the package @routelang/redis installed beside @routelang/runtime` },
    ]);
  const store = mod.redisState(url) as StateStore & { ready?: (ms: number) => Promise<boolean> };
  // Serving starts either way (a store that is not connected yet falls back or refuses by its mode).
  await store.ready?.(2_000);
  return store;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The IR failed its schema: `errors` are the schema validator's findings. */
export class RouterLoadError extends Error {
  constructor(
    message: string,
    readonly errors: readonly { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'RouterLoadError';
  }
}

export class Router {
  private readonly loadedIr: PolicyIR;
  /** The engine serving requests: this router, or the policy swapped in last. */
  private active: Router = this;
  private readonly routes: Map<string | null, CompiledRoute>;
  /** The entry route (the one `decide()` starts from unless told otherwise), looked up once. */
  private readonly entry: CompiledRoute | undefined;
  private readonly models: Map<string, Model>;
  private readonly classifiers: Map<string, Classifier>;
  private readonly declared: ReadonlySet<string>;
  private readonly slots: ReadonlyMap<string, number>;
  private readonly tools: ReadonlyMap<string, Tool>;
  /** The first text field: run() counts its tokens for telemetry and budgets. */
  private readonly promptField: string | undefined;
  private readonly requestContext: RequestContext;
  /** Limits and classifiers for the compiled module, when there is one. */
  private readonly compiledHost: CompiledHost | undefined;
  /** A RuleRef per route and rule, built once. */
  private readonly ruleRefs = new Map<string | null, RuleRef[]>();
  /** Per route and rule: the models and first target, when the plan has no split to resolve. */
  private readonly planFacts = new Map<Plan, { models: readonly string[]; first: string | undefined }>();

  private stats = new ModelStats();
  private driftMonitor = new DriftMonitor(() => {});
  private metricsStore = new Metrics();
  private breakers = new Breakers();
  private state: StateStore = memoryState();
  /** The controllers of the policy's rollouts, by name; kept across swaps for rollouts that stay. */
  private rolloutControllers = new Map<string, Rollout>();
  /** Set when the router opened its store from a URL (it closes it), and the fleet's disconnect. */
  private ownedState: StateStore | undefined;
  private leaveFleet: (() => void) | undefined;
  private runOptions: RouterOptions = {};
  private scorers: ReadonlyMap<string, Scorer> = new Map();
  /** The host's adapters over those built from declared providers; undefined when there are neither. */
  private adapters: Readonly<Record<string, ModelAdapter>> | undefined;
  private missingForRun: readonly { path: string; message: string }[] = [];

  private constructor(
    ir: PolicyIR,
    private readonly countTokens: TokenCounter,
    private readonly externClassifiers: Readonly<Record<string, ExternClassifier>>,
    private readonly limits: RequestLimits,
    private readonly compiled?: CompiledDecide,
  ) {
    this.loadedIr = ir;
    this.slots = new Map(ir.inputs.map((f, i) => [f.name, i]));
    this.routes = new Map(
      ir.routes.map((r, index) => [r.name, { route: r, graph: compileGraph(r.graph, this.slots), index, refs: [], single: [], facts: [] }]),
    );
    this.entry = this.routes.get(null);
    this.models = new Map(ir.models.map((m) => [m.name, m]));
    this.tools = new Map(ir.tools.map((t) => [t.name, t]));
    this.promptField = ir.inputs.find((f) => f.type.kind === 'text')?.name;
    this.classifiers = new Map(ir.classifiers.map((c) => [c.name, c]));
    this.declared = new Set(ir.inputs.map((f) => f.name));
    this.requestContext = {
      fields: ir.inputs,
      declared: this.declared,
      slots: this.slots,
      checks: fieldChecks(ir.inputs, limits),
      accepts: fieldAccepts(ir.inputs, limits),
      classifiers: this.classifiers,
      externClassifiers,
      countTokens,
      limits,
    };
    if (compiled) {
      const classifyFor = ir.inputs.map((field) => {
        const classifier = field.classifier === undefined ? undefined : this.classifiers.get(field.classifier);
        return classifier ? (text: string) => classifyField(field, classifier, text, externClassifiers) : undefined;
      });
      this.compiledHost = {
        ...limits,
        classify: (slot, text) =>
          classifyFor[slot]?.(text) ?? { field: ir.inputs[slot]?.name ?? '', code: 'missing_field', message: 'the field has no classifier' },
      };
    }
    for (const route of ir.routes) {
      this.ruleRefs.set(
        route.name,
        route.rules.map((rule, index) => ({
          route: route.name,
          index,
          file: rule.source.file,
          line: rule.source.line,
          column: rule.source.column,
          label: rule.label,
        })),
      );
    }
    for (const route of ir.routes) {
      for (const rule of route.rules) {
        if (!needsResolving(rule.plan))
          this.planFacts.set(rule.plan, { models: planModels(rule.plan).filter((m) => this.models.has(m)), first: firstTarget(rule.plan) });
      }
    }
    // What a decision needs per rule, by index: no look-up by name or plan per request.
    for (const compiled of this.routes.values()) {
      for (const [index, ref] of (this.ruleRefs.get(compiled.route.name) ?? []).entries()) {
        compiled.refs.push(ref);
        compiled.single.push(Object.freeze([ref]));
        compiled.facts.push(this.planFacts.get((compiled.route.rules[index] as { plan: Plan }).plan));
      }
    }
  }

  /**
   * Loads a compiled policy (an object or its JSON text). Rejects with a `RouterLoadError`
   * listing the schema violations when the artifact is not a valid `routelang/ir@1`.
   *
   * @example
   * const router = await Router.load(readFileSync('policy.json', 'utf8'));
   * const decision = router.decide({ prompt: 'summarize this', tenant: 'acme' });
   */
  static async load(artifact: unknown, options: RouterOptions = {}): Promise<Router> {
    const problems = optionProblems(options);
    if (problems.length > 0) throw new RouterLoadError(`the router options have ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
    const ir = Router.validate(artifact);
    const tokenizer = options.tokenizer ?? 'o200k_base';
    const counter = typeof tokenizer === 'function' ? tokenizer : await loadTokenizer(tokenizer);
    const router = new Router(ir, counter, options.classifiers ?? {}, { ...DEFAULT_LIMITS, ...options.limits }, Router.checkCompiled(options.compiled, ir));
    const opened = typeof options.state === 'string' ? await openState(options.state) : undefined;
    try {
      router.prepareRun(opened ? { ...options, state: opened } : options);
    } catch (error) {
      await opened?.close?.();
      throw error;
    }
    router.ownedState = opened;
    router.rolloutControllers = router.controllersFor(new Map());
    router.driftMonitor = new DriftMonitor(
      (event) => router.runOptions.telemetry?.onDrift?.(event),
      options.drift?.window ?? 500,
      options.drift?.alpha ?? 0.001,
    );
    router.leaveFleet = router.state.join?.({ breakers: router.breakers, stats: router.stats });
    return router;
  }

  /** The policy being served (the one swapped in last). */
  get ir(): PolicyIR {
    return this.active === this ? this.loadedIr : this.active.ir;
  }

  /**
   * Hot reload: replaces the policy atomically. The new artifact is validated and checked
   * against the host's adapters first (a `RouterLoadError` leaves the old policy serving);
   * requests already running finish on the policy they started with. Statistics, circuit
   * breakers, metrics and tenant spend carry over. The new policy's compiled module, if any,
   * comes with it (the old one's cannot serve it).
   */
  async swap(artifact: unknown, compiled?: CompiledDecide): Promise<void> {
    const ir = Router.validate(artifact);
    const next = new Router(ir, this.countTokens, this.externClassifiers, this.limits, Router.checkCompiled(compiled, ir));
    next.stats = this.stats;
    next.metricsStore = this.metricsStore;
    next.prepareRun(this.runOptions);
    next.breakers = this.breakers;
    next.state = this.state;
    // Statistics carry over: drift windows, and the rollouts whose settings did not change.
    next.driftMonitor = this.driftMonitor;
    next.rolloutControllers = next.controllersFor(this.rolloutControllers);
    this.active = next;
  }

  /** Checks that the host gave everything the policy names, when it gave adapters at all. */
  private prepareRun(options: RouterOptions): void {
    this.runOptions = options;
    this.breakers = new Breakers({ ...DEFAULT_BREAKER, ...options.breaker }, options.now ?? Date.now);
    this.state = typeof options.state === 'object' ? options.state : memoryState(options.now ?? Date.now);
    // Declared providers give adapters; the host's own win.
    const declared = providerAdapters(this.ir.providers ?? [], options);
    this.adapters = options.adapters || Object.keys(declared).length > 0 ? { ...declared, ...options.adapters } : undefined;
    const adapters = this.adapters ?? {};
    const missing: { path: string; message: string }[] = [];
    // Only what some plan can call: a catalogue may declare models of providers this policy
    // never routes to, and those need no adapter.
    const plans = this.ir.routes.flatMap((r) => r.rules.map((rule) => rule.plan));
    const usedModels = new Set(plans.flatMap((plan) => planModels(plan)));
    const usedTools = new Set(plans.flatMap((plan) => planTools(plan)));
    const models = this.ir.models.filter((m) => usedModels.has(m.name));
    for (const provider of new Set(models.map((m) => m.provider))) {
      if (typeof adapters[provider] !== 'function')
        missing.push({
          path: `/adapters/${provider}`,
          message: `no adapter for provider \`${provider}\` (used by ${models
            .filter((m) => m.provider === provider)
            .map((m) => `\`${m.name}\``)
            .join(', ')})`,
        });
    }
    for (const tool of this.ir.tools) {
      if (usedTools.has(tool.name) && typeof options.tools?.[tool.name] !== 'function') {
        missing.push({ path: `/tools/${tool.name}`, message: `no adapter for tool \`${tool.name}\`` });
      }
    }
    if (this.ir.budget?.perTenant && !this.ir.inputs.some((f) => f.name === 'tenant')) {
      missing.push({ path: '/inputs/tenant', message: '`per_tenant` budgets count spend by the input field `tenant`, which this policy does not declare' });
    }
    const built = buildScorers(this.ir.validators, options);
    missing.push(...built.missing);
    this.scorers = built.scorers;
    this.missingForRun = missing;
    // A host that brings adapters means to run: tell it now. One that only decides (even with
    // providers declared in the policy) loads; `run()` then refuses, naming what is missing.
    if (options.adapters && missing.length > 0)
      throw new RouterLoadError(`the router is missing ${missing.length} thing${missing.length === 1 ? '' : 's'} the policy uses`, missing);
  }

  /** What `run()` needs and the router does not have (adapters, tools, scorers): empty when it can run. */
  missing(): readonly { readonly path: string; readonly message: string }[] {
    return this.active === this ? this.missingForRun : this.active.missing();
  }

  private tenantBudget(request: Readonly<Record<string, Value>>): { tenantBudget?: { limit: number; key: string; ttlMs: number; state: StateStore } } {
    const perTenant = this.ir.budget?.perTenant;
    const tenant = request.tenant;
    if (!perTenant || typeof tenant !== 'string') return {};
    const window = tenantWindow(tenant, perTenant.period, (this.runOptions.now ?? Date.now)());
    return { tenantBudget: { limit: perTenant.amount, ...window, state: this.state } };
  }

  /** A controller per rollout of the policy: those of `previous` whose settings are unchanged carry over. */
  private controllersFor(previous: ReadonlyMap<string, Rollout>): Map<string, Rollout> {
    const out = new Map<string, Rollout>();
    const visit = (plan: Plan): void => {
      if (plan.kind === 'rollout' && !out.has(plan.name)) {
        const { kind: _kind, control: _control, candidate: _candidate, ...settings } = plan;
        const old = previous.get(plan.name);
        const spec = {
          name: plan.name,
          stages: plan.stages,
          margin: plan.margin,
          confidence: plan.confidence,
          ...(plan.minSamples !== undefined ? { minSamples: plan.minSamples } : {}),
          ...(plan.guards ? { guards: plan.guards } : {}),
        };
        out.set(
          plan.name,
          old && JSON.stringify(old.settings) === JSON.stringify(settings)
            ? old
            : new Rollout(spec, this.state, (event) => this.runOptions.telemetry?.onRollout?.(event), this.ir.policy.name ?? '', settings),
        );
      }
      for (const sub of subPlans(plan)) visit(sub);
    };
    for (const route of this.ir.routes) for (const rule of route.rules) visit(rule.plan);
    return out;
  }

  /** The latest drift comparison of each model's series (score, error rate, latency, output tokens, cost). */
  drift(): DriftStatus[] {
    return this.active === this ? this.driftMonitor.status() : this.active.drift();
  }

  /** Where each of the policy's rollouts stands (share, evidence), by name. */
  rollouts(): Record<string, RolloutStatus> {
    if (this.active !== this) return this.active.rollouts();
    return Object.fromEntries([...this.rolloutControllers].map(([name, r]) => [name, r.status()]));
  }

  /** Where the router keeps its shared state (tenant spend, rate windows, breakers, statistics). */
  get stateStore(): StateStore {
    return this.state;
  }

  /**
   * Leaves the fleet and closes the state store the router opened from a URL (a store the
   * host passed is the host's to close). Runs still in flight finish; call it on shutdown.
   */
  async close(): Promise<void> {
    this.leaveFleet?.();
    this.leaveFleet = undefined;
    const owned = this.ownedState;
    this.ownedState = undefined;
    await owned?.close?.();
  }

  /** The state of each model's circuit breaker (models that have seen traffic). */
  circuits(): Record<string, BreakerState> {
    return this.breakers.states();
  }

  /**
   * Decides a request and runs its plan with the host's adapters: fallbacks, cascades,
   * tools, splits, choices, within the per-request budget, re-checking assertions before
   * each call. Never rejects: failures are in the result.
   */
  async run(input: unknown, options: RunOptions = {}): Promise<RunResult> {
    // The engine is captured here: a swap during this run does not change its policy.
    const engine = this.active;
    if (engine !== this) return engine.run(input, options);
    const clock = this.runOptions.clock;
    const now = clock ? () => clock.now() : () => performance.now();
    const started = now();
    const decision = this.decide(input, options.route !== undefined ? { route: options.route } : {});
    const requestId = options.requestId ?? globalThis.crypto.randomUUID();
    if (!decision.ok) {
      const invalid: RunResult = { ok: false, errors: decision.errors, attempts: [], cost: 0, latencyMs: now() - started };
      const raw = typeof input === 'object' && input !== null && Object.hasOwn(input, 'tenant') ? (input as { tenant?: unknown }).tenant : undefined;
      this.observe(invalid, requestId, typeof raw === 'string' ? raw : undefined);
      return invalid;
    }
    const adapters = this.adapters;
    if (!adapters || this.missingForRun.length > 0) {
      const message = !adapters
        ? 'run() needs model adapters: declare providers in the policy or pass `adapters` to Router.load'
        : `run() needs what the router was not given: ${this.missingForRun.map((m) => m.message).join('; ')}`;
      return { ok: false, errors: [{ field: '', code: 'internal_error', message }], attempts: [], cost: 0, latencyMs: 0 };
    }
    options.onDecision?.(decision);
    let plan = decision.resolved;
    if (options.model !== undefined) {
      // The caller named a model: served only where every assertion holds for it.
      const request = (decision as RouterDecision).normalizedRequest;
      const model = this.models.get(options.model);
      const refused: RunResult | undefined = !model
        ? {
            ok: false,
            errors: [{ field: 'model', code: 'unknown_model', message: `the catalogue has no model \`${options.model}\`` }],
            attempts: [],
            cost: 0,
            latencyMs: now() - started,
          }
        : (() => {
            const broken = this.ir.assertions.find((a) => !evaluate(a.condition, request, model));
            return broken
              ? {
                  ok: false as const,
                  denied: `assertion ${broken.label ? `"${broken.label}"` : `at ${broken.source.file}:${broken.source.line}`} does not hold for \`${model.name}\` on this request`,
                  rule: decision.rule,
                  attempts: [],
                  fallbacks: 0,
                  escalations: 0,
                  cost: 0,
                  latencyMs: now() - started,
                }
              : undefined;
          })();
      if (refused) {
        const tenant = decision.request.tenant;
        this.observe(refused, requestId, typeof tenant === 'string' ? tenant : undefined);
        return refused;
      }
      plan = { kind: 'model', model: options.model };
    }
    const promptField = this.promptField;
    const prompt = promptField !== undefined ? String(decision.request[promptField] ?? '') : '';
    // decide() may already have counted them (the graph tested prompt.tokens): reuse its cache.
    const counted = promptField !== undefined ? (decision as RouterDecision).normalizedRequest.read([promptField, 'tokens']) : 0;
    const promptTokens = typeof counted === 'number' ? counted : 0;
    const tracer = this.runOptions.telemetry?.tracer;
    const span = tracer?.startSpan('routelang.run', {
      attributes: {
        'routelang.policy': this.ir.policy.name ?? '',
        'routelang.rule.line': decision.rule.line,
        'routelang.rule.index': decision.rule.index,
        ...(decision.rule.label ? { 'routelang.rule.label': decision.rule.label } : {}),
      },
    });
    const execution: Execution = await execute(plan, {
      ...(tracer && span ? { tracing: { tracer, context: trace.setSpan(otelContext.active(), span) } } : {}),
      models: this.models,
      tools: this.tools,
      adapters,
      toolAdapters: this.runOptions.tools ?? {},
      scorers: this.scorers,
      assertions: this.ir.assertions,
      request: (decision as RouterDecision).normalizedRequest,
      prompt,
      promptTokens,
      budget: this.ir.budget?.perRequest ?? Number.POSITIVE_INFINITY,
      signal: options.signal ?? NEVER,
      sleep: clock ? (ms, signal) => clock.sleep(ms, signal) : sleep,
      now,
      random: this.runOptions.random ?? Math.random,
      stats: this.stats,
      maxAttempts: this.runOptions.maxAttempts ?? 8,
      defaultTimeoutMs: this.runOptions.defaultTimeoutMs ?? 60_000,
      breakers: this.breakers,
      rollouts: this.rolloutControllers,
      ...(this.runOptions.telemetry?.onShadow ? { onShadow: this.runOptions.telemetry.onShadow } : {}),
      ...(this.ir.budget?.perShadow !== undefined ? { shadowBudget: this.ir.budget.perShadow } : {}),
      ...this.tenantBudget(decision.request),
      salt: `${decision.rule.route ?? ''}#${decision.rule.index}`,
      countTokens: this.countTokens,
      ...(options.messages ? { messages: options.messages } : {}),
      ...(options.passthrough ? { passthrough: options.passthrough } : {}),
      ...(options.onDelta ? { stream: { onDelta: options.onDelta, ...this.firstTokenLimit(options) } } : {}),
    });
    const cost = execution.attempts.reduce((sum, a) => sum + a.cost, 0);
    const base = {
      rule: decision.rule,
      attempts: execution.attempts,
      fallbacks: execution.fallbacks,
      escalations: execution.escalations,
      cost,
      latencyMs: now() - started,
      ...(execution.arms ? { arms: execution.arms } : {}),
    };
    const result: RunResult = execution.ok
      ? {
          ok: true,
          text: execution.text,
          model: execution.model,
          score: execution.score,
          ...(execution.toolCalls !== undefined ? { toolCalls: execution.toolCalls } : {}),
          ...(execution.finishReason !== undefined ? { finishReason: execution.finishReason } : {}),
          ...(execution.streamed ? { streamed: true } : {}),
          ...base,
        }
      : 'denied' in execution
        ? { ok: false, denied: execution.denied, ...base }
        : {
            ok: false,
            errorClass: execution.errorClass,
            message: execution.message,
            ...(execution.attempts.some((a) => a.firstTokenMs !== undefined) ? { streamed: true } : {}),
            ...base,
          };
    if (span) {
      span.setAttributes({
        'routelang.outcome': result.ok ? 'ok' : 'denied' in result ? 'denied' : 'failed',
        'routelang.cost_usd': cost,
        'routelang.fallbacks': execution.fallbacks,
        'routelang.escalations': execution.escalations,
        ...(result.ok && result.model ? { 'routelang.model': result.model } : {}),
      });
      if (!result.ok && !('denied' in result)) span.setStatus({ code: SpanStatusCode.ERROR, message: 'message' in result ? result.message : 'failed' });
      span.end();
    }
    const tenant = decision.request.tenant;
    this.observe(result, requestId, typeof tenant === 'string' ? tenant : undefined);
    return result;
  }

  private firstTokenLimit(options: RunOptions): { firstTokenTimeoutMs?: number } {
    const ms = options.firstTokenTimeoutMs ?? this.runOptions.firstTokenTimeoutMs;
    return ms !== undefined ? { firstTokenTimeoutMs: ms } : {};
  }

  /**
   * Runs a request and streams its answer: yields the text as it comes (`{ type: 'text' }`),
   * then the same result `run()` returns (`{ type: 'done' }`), always last. Retries and
   * fallbacks happen freely until the first text; a failure after it ends the stream with
   * `done` carrying the error class and `streamed: true`. Cascade steps before the last and
   * `try … until` answers are held until accepted, then sent in one piece. Breaking out of
   * the loop cancels the run (the upstream call is aborted).
   *
   * @example
   * for await (const event of router.stream({ prompt: 'hi' })) {
   *   if (event.type === 'text') process.stdout.write(event.text);
   *   else console.log(event.result.ok ? event.result.model : event.result);
   * }
   */
  async *stream(input: unknown, options: Omit<RunOptions, 'onDelta'> = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const queue: { text: string; model: string | undefined }[] = [];
    let wake: (() => void) | undefined;
    const controller = new AbortController();
    const caller = options.signal;
    const onCallerAbort = (): void => controller.abort(caller?.reason);
    if (caller?.aborted) controller.abort(caller.reason);
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    let finished: RunResult | undefined;
    const running = this.run(input, {
      ...options,
      signal: controller.signal,
      onDelta: (text, model) => {
        queue.push({ text, model });
        wake?.();
      },
    }).then((result) => {
      finished = result;
      wake?.();
    });
    try {
      while (true) {
        for (let next = queue.shift(); next; next = queue.shift()) yield { type: 'text', ...next };
        if (finished) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (queue.length > 0 || finished) resolve();
        });
        wake = undefined;
      }
      yield { type: 'done', result: finished };
    } finally {
      // The consumer stopped early (or the run ended): cancel what is still running.
      if (!finished) controller.abort(new DOMException('the stream was abandoned', 'AbortError'));
      caller?.removeEventListener('abort', onCallerAbort);
      await running;
    }
  }

  /** Per model and per rule: counts, tokens, cost, latency percentiles, error, fallback and escalation rates. */
  metrics(): MetricsSnapshot {
    return this.metricsStore.snapshot();
  }

  private observe(result: RunResult, requestId: string, tenant: string | undefined): void {
    const attempts = result.attempts;
    const event: RunEvent = {
      type: 'routelang.run',
      time: new Date((this.runOptions.now ?? Date.now)()).toISOString(),
      policy: { name: this.ir.policy.name ?? null, version: this.ir.policy.version ?? null },
      requestId,
      tenant,
      errors: 'errors' in result ? result.errors : undefined,
      rule: 'rule' in result ? { route: result.rule.route, index: result.rule.index, line: result.rule.line, label: result.rule.label } : undefined,
      outcome: result.ok ? 'ok' : 'denied' in result ? 'denied' : 'errors' in result ? 'invalid' : 'failed',
      model: result.ok ? result.model : undefined,
      errorClass: !result.ok && 'errorClass' in result ? result.errorClass : undefined,
      attempts,
      fallbacks: 'fallbacks' in result ? result.fallbacks : 0,
      escalations: 'escalations' in result ? result.escalations : 0,
      inputTokens: attempts.reduce((n, a) => n + a.inputTokens, 0),
      outputTokens: attempts.reduce((n, a) => n + a.outputTokens, 0),
      cost: result.cost,
      latencyMs: result.latencyMs,
      ...('arms' in result && result.arms ? { arms: result.arms } : {}),
    };
    this.metricsStore.record(event);
    for (const a of attempts) {
      if (a.kind !== 'model' || a.outcome === 'skipped' || a.errorClass === 'aborted') continue;
      const ok = a.outcome === 'ok';
      this.driftMonitor.observe(a.target, {
        error_rate: ok ? 0 : 1,
        ...(ok ? { latency_ms: a.latencyMs, output_tokens: a.outputTokens, cost: a.cost } : {}),
        ...(a.score !== undefined ? { score: a.score } : {}),
      });
    }
    try {
      this.runOptions.telemetry?.onEvent?.(event);
    } catch {
      // The host's logger must not break the request it is logging.
    }
  }

  /** Loads synchronously with a given token counter (for hosts that already hold one). */
  static loadSync(artifact: unknown, countTokens: TokenCounter, options: Omit<RouterOptions, 'tokenizer'> = {}): Router {
    const ir = Router.validate(artifact);
    return new Router(ir, countTokens, options.classifiers ?? {}, { ...DEFAULT_LIMITS, ...options.limits }, Router.checkCompiled(options.compiled, ir));
  }

  /** The compiled module, when it was compiled from `ir`; a `RouterLoadError` otherwise. */
  private static checkCompiled(compiled: CompiledDecide | undefined, ir: PolicyIR): CompiledDecide | undefined {
    if (compiled === undefined) return undefined;
    const problems = compiledProblems(compiled, ir).map((p) => ({ path: `/compiled${p.path ? `/${p.path}` : ''}`, message: p.message }));
    if (problems.length > 0) throw new RouterLoadError('the compiled decision module does not match the artifact', problems);
    return compiled;
  }

  private static validate(artifact: unknown): PolicyIR {
    let value = artifact;
    if (typeof artifact === 'string') {
      try {
        value = JSON.parse(artifact);
      } catch (error) {
        throw new RouterLoadError(`the artifact is not JSON: ${(error as Error).message}`, []);
      }
    }
    if (!validateIr(value)) {
      const errors = ((validateIr as unknown as { errors?: { instancePath: string; message?: string }[] }).errors ?? []).map((e) => ({
        path: e.instancePath || '/',
        message: e.message ?? 'is invalid',
      }));
      throw new RouterLoadError(
        `the artifact is not a valid routelang/ir@1 policy (${errors.length} problem${errors.length === 1 ? '' : 's'})`,
        errors.slice(0, 50),
      );
    }
    const ir = value as PolicyIR;
    const problems = structureProblems(ir);
    if (problems.length > 0) {
      throw new RouterLoadError(
        `the artifact's structure is inconsistent (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
        problems.slice(0, 50),
      );
    }
    return ir;
  }

  /**
   * Decides a request, from the entry route or (with `route`) from a named route. Pure and
   * synchronous; never throws (a failing host callback becomes an error).
   */
  decide(input: unknown, options?: DecideOptions): Decision | Refusal {
    const engine = this.active;
    if (engine !== this) return engine.decide(input, options);
    try {
      return this.decideUnguarded(input, options?.route ?? null);
    } catch (error) {
      // Only host code (a token counter) can throw here; the host gets an answer, not an exception.
      return {
        ok: false,
        errors: [{ field: '', code: 'internal_error', message: `the decision failed: ${error instanceof Error ? error.message : String(error)}` }],
      };
    }
  }

  private decideUnguarded(input: unknown, start: string | null): Decision | Refusal {
    if (start !== null && !this.routes.has(start)) {
      return { ok: false, errors: [{ field: '', code: 'unknown_route', message: `the policy has no route \`${start}\`` }] };
    }
    let request: NormalizedRequest;
    let values: (Value | undefined)[] | undefined;
    if (this.compiled) {
      const checked = this.compiled.validate(input, this.compiledHost as CompiledHost);
      if (!Array.isArray(checked)) return { ok: false, errors: checked.errors };
      values = checked;
      request = new NormalizedRequest(checked, this.slots, this.countTokens);
    } else {
      const checked = normalized(input, this.requestContext);
      if (!(checked instanceof NormalizedRequest)) return { ok: false, errors: checked };
      request = checked;
    }
    // The rules walked through named routes; undefined while the first route decides alone.
    let path: RuleRef[] | undefined;
    let current = start === null ? this.entry : this.routes.get(start);
    for (let hops = 0; current && hops <= this.routes.size; hops++) {
      const index = values ? (this.compiled as CompiledDecide).walk(current.index, values, request) : walk(current.graph, request);
      if (index < 0) {
        return noRuleMatched(current.route.name);
      }
      const rule = current.route.rules[index];
      if (!rule) break;
      const ref = current.refs[index] as RuleRef;
      if (rule.plan.kind === 'route') {
        path = path ?? [];
        path.push(ref);
        current = this.routes.get(rule.plan.route);
        continue;
      }
      if (path) path.push(ref);
      return this.decision(request, path ?? (current.single[index] as readonly RuleRef[]), rule.plan, current.facts[index]);
    }
    return { ok: false, errors: [{ field: '', code: 'no_rule_matched', message: 'the policy has no entry route' }] };
  }

  private decision(
    request: NormalizedRequest,
    path: readonly RuleRef[],
    plan: Plan,
    facts: { readonly models: readonly string[]; readonly first: string | undefined } | undefined,
  ): Decision | Refusal {
    const rule = path[path.length - 1] as RuleRef;
    if (facts) return new RouterDecision(rule, path, plan, plan, facts.models, facts.first, request, this.routes);
    const followed: RuleRef[] = [];
    const resolved = this.resolve(plan, request, `${rule.route ?? ''}#${rule.index}`, followed, 0);
    if ('errors' in resolved) return { ok: false, errors: resolved.errors };
    const models = planModels(resolved).filter((m) => this.models.has(m));
    return new RouterDecision(rule, [...path, ...followed], plan, resolved, models, firstTarget(resolved), request, this.routes);
  }

  /**
   * The plan for this request: splits resolved to their arm and named routes inside the plan
   * (a split arm, a fallback, a cascade step, a candidate) replaced by the plan of the rule
   * that decides there, whose rules are appended to `followed`. Depth is bounded by the number
   * of routes (the checker refuses cycles; a tampered artifact gets a refusal, not a loop).
   */
  private resolve(plan: Plan, request: NormalizedRequest, salt: string, followed: RuleRef[], depth: number): Plan | Refusal {
    if (plan.kind === 'split') {
      // The arm this request takes, with the executor's salt; the walk goes on inside it.
      const i = splitArm(
        plan.arms.map((a) => a.weight),
        request.read([plan.field]),
        salt,
      );
      const arm = plan.arms[i];
      return arm ? this.resolve(arm.plan, request, `${salt}/${i}`, followed, depth) : plan;
    }
    if (plan.kind === 'route') {
      const current = this.routes.get(plan.route);
      if (!current || depth > this.routes.size) {
        return { ok: false, errors: [{ field: '', code: 'no_rule_matched', message: `route \`${plan.route}\` cannot be followed` }] };
      }
      const index = this.compiled ? this.compiled.walk(current.index, request.fieldValues, request) : walk(current.graph, request);
      const rule = current.route.rules[index];
      if (index < 0 || !rule) return noRuleMatched(plan.route);
      followed.push(this.ruleRefs.get(plan.route)?.[index] as RuleRef);
      return this.resolve(rule.plan, request, `${plan.route}#${index}`, followed, depth + 1);
    }
    let refusal: Refusal | undefined;
    const out = mapSubPlans(plan, (sub, suffix) => {
      if (refusal) return sub;
      const r = this.resolve(sub, request, `${salt}${suffix}`, followed, depth);
      if ('errors' in r) {
        refusal = r;
        return sub;
      }
      return r;
    });
    return refusal ?? out;
  }
}

/** The refusal for a request that no rule of a route (null: the entry route) matches. */
function noRuleMatched(route: string | null): Refusal {
  const where = route === null ? 'the entry route' : `route \`${route}\``;
  return { ok: false, errors: [{ field: '', code: 'no_rule_matched', message: `no rule of ${where} matches this request, and it has no \`otherwise\`` }] };
}

/**
 * What the schema cannot say about an artifact: graphs that are acyclic with every index in
 * range, plans that name only declared models, tools, validators and routes, and inputs that
 * name only declared classifiers. A tampered artifact is refused at load with each problem's
 * path, never looped on or half-run.
 */
function structureProblems(ir: PolicyIR): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const models = new Set(ir.models.map((m) => m.name));
  const tools = new Set(ir.tools.map((t) => t.name));
  const validators = new Set(ir.validators.map((v) => v.name));
  const routes = new Set(ir.routes.map((r) => r.name));
  const classifiers = new Set(ir.classifiers.map((c) => c.name));
  ir.inputs.forEach((field, i) => {
    if (field.classifier !== undefined && !classifiers.has(field.classifier)) {
      out.push({ path: `/inputs/${i}/classifier`, message: `names classifier \`${field.classifier}\`, which the artifact does not declare` });
    }
  });
  const names = new Set<string | null>();
  ir.routes.forEach((route, r) => {
    if (names.has(route.name)) out.push({ path: `/routes/${r}/name`, message: `route ${route.name ?? '(entry)'} is declared twice` });
    names.add(route.name);
    out.push(...graphProblems(route.graph, route.rules.length, `/routes/${r}/graph`));
    route.rules.forEach((rule, i) => {
      const check = (plan: Plan, path: string): void => {
        const missing = (what: string, name: string): void => {
          out.push({ path, message: `names ${what} \`${name}\`, which the artifact does not declare` });
        };
        if (plan.kind === 'model' && !models.has(plan.model)) missing('model', plan.model);
        if (plan.kind === 'route' && !routes.has(plan.route)) missing('route', plan.route);
        if (plan.kind === 'try' && !tools.has(plan.tool)) missing('tool', plan.tool);
        const validator = plan.kind === 'cascade' || plan.kind === 'try' ? plan.until?.validator : plan.kind === 'choice' ? plan.validator : undefined;
        if (validator !== undefined && !validators.has(validator)) missing('validator', validator);
        subPlans(plan).forEach((sub, k) => {
          check(sub, `${path}/${k}`);
        });
      };
      check(rule.plan, `/routes/${r}/rules/${i}/plan`);
    });
  });
  return out;
}
