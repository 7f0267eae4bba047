// The router: loads a compiled policy (validated against the IR schema with a
// precompiled validator) and decides requests. `decide()` is pure and synchronous: it
// validates the request, walks the entry route's decision graph (and any named route
// it continues in), and returns the deciding rule and plan. It never throws.

import type { ExternClassifier } from './classify.js';
import { evaluate } from './evaluate.js';
import { validate as validateIr } from './generated/validate-ir.js';
import { type CompiledGraph, compileGraph, walk } from './graph.js';
import type { Classifier, Model, Plan, PolicyIR, Route, Value } from './ir.js';
import { firstTarget, planModels } from './plans.js';
import { DEFAULT_LIMITS, fieldChecks, normalizeRequest, type RequestContext, type RequestError, type RequestLimits } from './request.js';
import { resolveSplits } from './split.js';
import { loadTokenizer, type TokenizerName } from './tokenizer.js';
import type { NormalizedRequest, TokenCounter } from './values.js';

/** Options of `Router.load`. */
export interface RouterOptions {
  /** The tokenizer for `prompt.tokens`: a named encoding (default `o200k_base`) or a counter. */
  readonly tokenizer?: TokenizerName | TokenCounter;
  /** Host classifiers for `classifier … = extern "name"`, by name. */
  readonly classifiers?: Readonly<Record<string, ExternClassifier>>;
  /** Limits on request sizes. */
  readonly limits?: Partial<RequestLimits>;
}

/** A rule that took part in a decision. */
export interface RuleRef {
  /** The route's name; null for the entry route. */
  readonly route: string | null;
  readonly index: number;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly label: string | undefined;
}

/** One step of an explanation: a rule that was tried, and whether it matched. */
export interface ExplainStep {
  readonly rule: RuleRef;
  readonly condition: string;
  readonly matched: boolean;
}

export interface Decision {
  readonly ok: true;
  /** The rule that decided (in the last route followed). */
  readonly rule: RuleRef;
  /** The rules followed through named routes, from the entry route to the deciding rule. */
  readonly path: readonly RuleRef[];
  /** The deciding rule's plan, as written. */
  readonly plan: Plan;
  /** The plan with sticky splits resolved for this request. */
  readonly resolved: Plan;
  /** The models the resolved plan may call, in order. */
  readonly models: readonly string[];
  /** The model or tool called first (undefined for `deny`). */
  readonly first: string | undefined;
  /** The normalised request (defaults and classifier labels filled in). */
  readonly request: Readonly<Record<string, Value>>;
  /** Why: every rule tried, in order, with the condition and whether it matched. */
  explain(): ExplainStep[];
}

export interface Refusal {
  readonly ok: false;
  readonly errors: readonly RequestError[];
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

interface CompiledRoute {
  readonly route: Route;
  readonly graph: CompiledGraph;
}

export class Router {
  readonly ir: PolicyIR;
  private readonly routes: Map<string | null, CompiledRoute>;
  private readonly models: Map<string, Model>;
  private readonly classifiers: Map<string, Classifier>;
  private readonly declared: ReadonlySet<string>;
  private readonly slots: ReadonlyMap<string, number>;
  private readonly requestContext: RequestContext;
  /** A RuleRef per route and rule, built once. */
  private readonly ruleRefs = new Map<string | null, RuleRef[]>();
  /** Per route and rule: the models and first target, when the plan has no split to resolve. */
  private readonly planFacts = new Map<Plan, { models: readonly string[]; first: string | undefined }>();

  private constructor(
    ir: PolicyIR,
    private readonly countTokens: TokenCounter,
    private readonly externClassifiers: Readonly<Record<string, ExternClassifier>>,
    private readonly limits: RequestLimits,
  ) {
    this.ir = ir;
    this.routes = new Map(ir.routes.map((r) => [r.name, { route: r, graph: compileGraph(r.graph, new Map(ir.inputs.map((f, i) => [f.name, i]))) }]));
    this.models = new Map(ir.models.map((m) => [m.name, m]));
    this.classifiers = new Map(ir.classifiers.map((c) => [c.name, c]));
    this.declared = new Set(ir.inputs.map((f) => f.name));
    this.slots = new Map(ir.inputs.map((f, i) => [f.name, i]));
    this.requestContext = {
      fields: ir.inputs,
      declared: this.declared,
      slots: this.slots,
      checks: fieldChecks(ir.inputs, limits),
      classifiers: this.classifiers,
      externClassifiers,
      countTokens,
      limits,
    };
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
        if (!hasSplit(rule.plan))
          this.planFacts.set(rule.plan, { models: planModels(rule.plan).filter((m) => this.models.has(m)), first: firstTarget(rule.plan) });
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
    const ir = Router.validate(artifact);
    const tokenizer = options.tokenizer ?? 'o200k_base';
    const counter = typeof tokenizer === 'function' ? tokenizer : await loadTokenizer(tokenizer);
    return new Router(ir, counter, options.classifiers ?? {}, { ...DEFAULT_LIMITS, ...options.limits });
  }

  /** Loads synchronously with a given token counter (for hosts that already hold one). */
  static loadSync(artifact: unknown, countTokens: TokenCounter, options: Omit<RouterOptions, 'tokenizer'> = {}): Router {
    return new Router(Router.validate(artifact), countTokens, options.classifiers ?? {}, { ...DEFAULT_LIMITS, ...options.limits });
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
    return value as PolicyIR;
  }

  /** Decides a request. Pure and synchronous; never throws (a failing host callback becomes an error). */
  decide(input: unknown): Decision | Refusal {
    try {
      return this.decideUnguarded(input);
    } catch (error) {
      // Only host code (a token counter) can throw here; the host gets an answer, not an exception.
      return {
        ok: false,
        errors: [{ field: '', code: 'internal_error', message: `the decision failed: ${error instanceof Error ? error.message : String(error)}` }],
      };
    }
  }

  private decideUnguarded(input: unknown): Decision | Refusal {
    const normalized = normalizeRequest(input, this.requestContext);
    if (!normalized.ok) return { ok: false, errors: normalized.errors };
    const request = normalized.request;
    const path: RuleRef[] = [];
    let current = this.routes.get(null);
    for (let hops = 0; current && hops <= this.routes.size; hops++) {
      const index = walk(current.graph, request);
      if (index < 0) {
        const where = current.route.name === null ? 'the entry route' : `route \`${current.route.name}\``;
        return {
          ok: false,
          errors: [{ field: '', code: 'no_rule_matched', message: `no rule of ${where} matches this request, and it has no \`otherwise\`` }],
        };
      }
      const rule = current.route.rules[index];
      if (!rule) break;
      const ref = this.ruleRefs.get(current.route.name)?.[index] as RuleRef;
      path.push(ref);
      if (rule.plan.kind === 'route') {
        current = this.routes.get(rule.plan.route);
        continue;
      }
      return this.decision(request, path, rule.plan);
    }
    return { ok: false, errors: [{ field: '', code: 'no_rule_matched', message: 'the policy has no entry route' }] };
  }

  private decision(request: NormalizedRequest, path: RuleRef[], plan: Plan): Decision {
    const rule = path[path.length - 1] as RuleRef;
    const facts = this.planFacts.get(plan);
    if (facts) return new RouterDecision(rule, path, plan, plan, facts.models, facts.first, request, this.routes);
    const resolved = resolveSplits(plan, (field) => request.read([field]), `${rule.route ?? ''}#${rule.index}`);
    const models = planModels(resolved).filter((m) => this.models.has(m));
    return new RouterDecision(rule, path, plan, resolved, models, firstTarget(resolved), request, this.routes);
  }
}

function hasSplit(plan: Plan): boolean {
  switch (plan.kind) {
    case 'split':
      return true;
    case 'with':
      return hasSplit(plan.plan);
    case 'fallback':
      return hasSplit(plan.primary) || hasSplit(plan.secondary);
    case 'try':
      return hasSplit(plan.otherwise);
    default:
      return false;
  }
}

/** A decision. The normalised request and the explanation are computed only when asked for. */
class RouterDecision implements Decision {
  readonly ok = true;
  private requestObject: Readonly<Record<string, Value>> | undefined;

  constructor(
    readonly rule: RuleRef,
    readonly path: readonly RuleRef[],
    readonly plan: Plan,
    readonly resolved: Plan,
    readonly models: readonly string[],
    readonly first: string | undefined,
    private readonly normalized: NormalizedRequest,
    private readonly routes: ReadonlyMap<string | null, CompiledRoute>,
  ) {}

  get request(): Readonly<Record<string, Value>> {
    this.requestObject ??= this.normalized.toJSON();
    return this.requestObject;
  }

  explain(): ExplainStep[] {
    const steps: ExplainStep[] = [];
    for (const ref of this.path) {
      const route = this.routes.get(ref.route)?.route;
      if (!route) continue;
      for (let i = 0; i <= ref.index; i++) {
        const r = route.rules[i];
        if (!r) continue;
        steps.push({
          rule: { route: ref.route, index: i, file: r.source.file, line: r.source.line, column: r.source.column, label: r.label },
          condition: r.text ?? (r.condition ? '…' : 'otherwise'),
          matched: r.condition === undefined || evaluate(r.condition, this.normalized),
        });
      }
    }
    return steps;
  }

  toJSON(): object {
    return {
      ok: true,
      rule: this.rule,
      path: this.path,
      plan: this.plan,
      resolved: this.resolved,
      models: this.models,
      first: this.first,
      request: this.request,
    };
  }
}
