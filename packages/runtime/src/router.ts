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
import { DEFAULT_LIMITS, normalizeRequest, type RequestError, type RequestLimits } from './request.js';
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

  private constructor(
    ir: PolicyIR,
    private readonly countTokens: TokenCounter,
    private readonly externClassifiers: Readonly<Record<string, ExternClassifier>>,
    private readonly limits: RequestLimits,
  ) {
    this.ir = ir;
    this.routes = new Map(ir.routes.map((r) => [r.name, { route: r, graph: compileGraph(r.graph) }]));
    this.models = new Map(ir.models.map((m) => [m.name, m]));
    this.classifiers = new Map(ir.classifiers.map((c) => [c.name, c]));
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
    const normalized = normalizeRequest(input, {
      fields: this.ir.inputs,
      classifiers: this.classifiers,
      externClassifiers: this.externClassifiers,
      countTokens: this.countTokens,
      limits: this.limits,
    });
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
      const ref: RuleRef = { route: current.route.name, index, file: rule.source.file, line: rule.source.line, column: rule.source.column, label: rule.label };
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
    const resolved = resolveSplits(plan, (field) => request.read([field]), `${rule.route ?? ''}#${rule.index}`);
    const routes = this.routes;
    return {
      ok: true,
      rule,
      path,
      plan,
      resolved,
      models: planModels(resolved).filter((m) => this.models.has(m)),
      first: firstTarget(resolved),
      request: request.toJSON(),
      explain(): ExplainStep[] {
        const steps: ExplainStep[] = [];
        for (const ref of path) {
          const route = routes.get(ref.route)?.route;
          if (!route) continue;
          for (let i = 0; i <= ref.index; i++) {
            const r = route.rules[i];
            if (!r) continue;
            steps.push({
              rule: { route: ref.route, index: i, file: r.source.file, line: r.source.line, column: r.source.column, label: r.label },
              condition: r.text ?? (r.condition ? '…' : 'otherwise'),
              matched: r.condition === undefined || evaluate(r.condition, request),
            });
          }
        }
        return steps;
      },
    };
  }
}
