// Decisions: what `decide()` returns, and the lazy class behind it (the normalised request
// and the rule-by-rule explanation are built only when asked for).

import { evaluate } from './evaluate.js';
import type { CompiledGraph } from './graph.js';
import type { Plan, Route, Value } from './ir.js';
import type { RequestError } from './request.js';
import type { NormalizedRequest } from './values.js';

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

/** A route with its graph compiled for walking. */
export interface CompiledRoute {
  readonly route: Route;
  readonly graph: CompiledGraph;
  /** The route's index in the IR (what a compiled module's `walk` takes). */
  readonly index: number;
  /** Per rule, built once: its reference, the one-step path to it, and its plan's models when no split needs resolving. */
  readonly refs: RuleRef[];
  readonly single: (readonly RuleRef[])[];
  readonly facts: ({ readonly models: readonly string[]; readonly first: string | undefined } | undefined)[];
}

/** A decision. The normalised request and the explanation are computed only when asked for. */
export class RouterDecision implements Decision {
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

  /** The validated request, for the executor. */
  get normalizedRequest(): NormalizedRequest {
    return this.normalized;
  }

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
