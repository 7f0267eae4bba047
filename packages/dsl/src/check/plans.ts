// Checks plans (language.md §6): every name resolves to the right kind of declaration,
// options and error classes are known, split weights add up, thresholds are in [0, 1].
// Records which declarations are used and which named routes each route continues in.

import type * as A from '../ast.js';
import type { CheckContext } from './context.js';
import { closest, listNames } from './context.js';
import { propertyMap } from './declarations.js';
import type { FieldInfo, ModelInfo, ToolInfo, ValidatorInfo } from './policy.js';
import { ValueReader } from './values.js';

export const PLAN_OPTIONS = ['timeout', 'max_tokens', 'retries'] as const;

/** The most retries a plan option allows per call (`retries: 0..MAX_RETRIES`, RL2024 beyond). */
export const MAX_RETRIES = 10;
export const ERROR_CLASSES = ['timeout', 'rate_limit', 'server_error', 'client_error', 'refusal', 'circuit_open', 'budget'] as const;

/** What a plan can see, and where usage is recorded. */
export interface PlanScope {
  readonly file: string;
  readonly fields: ReadonlyMap<string, FieldInfo>;
  readonly models: ReadonlyMap<string, ModelInfo>;
  readonly tools: ReadonlyMap<string, ToolInfo>;
  readonly validators: ReadonlyMap<string, ValidatorInfo>;
  readonly routeNames: ReadonlySet<string>;
  readonly used: Set<string>;
  /** Named routes this plan continues in, with the reference. */
  readonly routeRefs: { name: string; ref: A.Ident; file: string }[];
}

export class PlanChecker {
  private readonly read: ValueReader;

  constructor(
    private readonly ctx: CheckContext,
    private readonly scope: PlanScope,
  ) {
    this.read = new ValueReader(ctx, scope.file);
  }

  check(plan: A.Plan): void {
    switch (plan.kind) {
      case 'Error':
        return;
      case 'Ref':
        this.target(plan.name);
        return;
      case 'ParenPlan':
        this.check(plan.inner);
        return;
      case 'With':
        this.check(plan.plan);
        this.options(plan.options);
        return;
      case 'Fallback':
        this.check(plan.primary);
        this.check(plan.secondary);
        for (const cls of plan.on ?? []) {
          if (cls.kind === 'Number') {
            // An upstream's HTTP status, as gateways list them (`on_status_codes: [429, 503]`).
            if (cls.unit !== 'none' || !Number.isInteger(cls.value) || cls.value < 400 || cls.value > 599)
              this.ctx.report('RL2027', this.scope.file, cls, `\`${cls.raw}\` is not an HTTP error status`, {
                help: 'a status code in `on [...]` is a whole number from 400 to 599, such as `503`',
              });
            continue;
          }
          if (!(ERROR_CLASSES as readonly string[]).includes(cls.name)) {
            const suggestion = closest(cls.name, ERROR_CLASSES);
            this.ctx.report('RL2027', this.scope.file, cls, `\`${cls.name}\` is not an error class${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
              help: `error classes are ${listNames(ERROR_CLASSES)}; an upstream's HTTP status (400–599) can be listed too`,
              fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file: this.scope.file, span: cls.span, newText: suggestion }] } : undefined,
            });
          }
        }
        return;
      case 'Cascade':
        if (plan.steps.length < 2) {
          this.ctx.report('RL2032', this.scope.file, plan, `this cascade has ${plan.steps.length === 0 ? 'no steps' : 'one step'}, so it never escalates`, {
            help: 'list a cheaper model first and a stronger one after it, or call the model directly',
          });
        }
        for (const step of plan.steps) this.modelStep(step, 'a cascade step');
        this.until(plan.until);
        return;
      case 'Try':
        this.tool(plan.tool);
        if (plan.until) this.until(plan.until);
        this.check(plan.otherwise);
        return;
      case 'Split':
        this.split(plan);
        return;
      case 'Rollout':
        this.rollout(plan);
        return;
      case 'Shadow': {
        this.check(plan.plan);
        if (this.target(plan.shadow) === 'route')
          this.ctx.report('RL2026', this.scope.file, plan.shadow, 'a shadow is a model: it is called on its own, beside the plan', { help: 'name a model' });
        const share = plan.share;
        if (share.unit !== 'percent' || share.value <= 0 || share.value > 100)
          this.ctx.report('RL2024', this.scope.file, share, `a shadow's share is a percentage above 0% and at most 100%, not \`${share.raw}\``, {
            help: 'write e.g. `10%`',
          });
        if (plan.by) this.validator(plan.by);
        return;
      }
      case 'Choice':
        for (const candidate of plan.candidates) this.modelStep(candidate, `a \`${plan.strategy}\` candidate`);
        if (plan.candidates.length < 2) {
          this.ctx.report(
            'RL2032',
            this.scope.file,
            plan,
            `\`${plan.strategy}\` chooses among models, but has ${plan.candidates.length === 0 ? 'none' : 'only one'}`,
            {
              help: 'list at least two models',
              severity: 'warning',
            },
          );
        }
        if (plan.by) this.validator(plan.by);
        return;
      case 'Deny':
        return;
    }
  }

  private target(name: A.Ident): 'model' | 'route' | undefined {
    const n = name.name;
    if (this.scope.models.has(n)) {
      this.scope.used.add(n);
      return 'model';
    }
    if (this.scope.routeNames.has(n)) {
      this.scope.used.add(n);
      this.scope.routeRefs.push({ name: n, ref: name, file: this.scope.file });
      return 'route';
    }
    if (this.scope.tools.has(n)) {
      this.scope.used.add(n);
      this.ctx.report('RL2026', this.scope.file, name, `\`${n}\` is a tool, not a model or route`, { help: `call a tool first with \`try ${n} else PLAN\`` });
      return undefined;
    }
    if (this.scope.validators.has(n)) {
      this.ctx.report('RL2026', this.scope.file, name, `\`${n}\` is a validator, not a model or route`, {
        help: `validators score answers: \`cascade [...] until ${n} >= 0.8\``,
      });
      return undefined;
    }
    this.ctx.reportUnknown('RL2002', this.scope.file, name, 'model or route', [...this.scope.models.keys(), ...this.scope.routeNames]);
    return undefined;
  }

  /** Cascade steps and adaptive candidates call one model each (optionally `with` options). */
  private modelStep(step: A.Plan, what: string): void {
    let inner = step;
    while (inner.kind === 'ParenPlan') inner = inner.inner;
    if (inner.kind === 'With') {
      this.options(inner.options);
      inner = inner.plan;
    }
    if (inner.kind === 'Error') return;
    if (inner.kind !== 'Ref') {
      this.ctx.report('RL2026', this.scope.file, step, `${what} must be a model`, {
        help: 'list model names, e.g. `[mini, frontier]`; put fallbacks around the whole plan',
      });
      this.check(inner);
      return;
    }
    const kind = this.target(inner.name);
    if (kind === 'route') {
      this.ctx.report('RL2026', this.scope.file, inner.name, `${what} must be a model, but \`${inner.name.name}\` is a route`, { help: 'list model names' });
    }
  }

  private tool(name: A.Ident): void {
    if (this.scope.tools.has(name.name)) {
      this.scope.used.add(name.name);
      return;
    }
    if (this.scope.models.has(name.name)) {
      this.ctx.report('RL2026', this.scope.file, name, `\`${name.name}\` is a model, not a tool`, {
        help: `\`try\` calls a tool first; to call the model, write \`${name.name}\``,
      });
      return;
    }
    this.ctx.reportUnknown('RL2003', this.scope.file, name, 'tool', this.scope.tools.keys());
  }

  private validator(name: A.Ident): void {
    if (this.scope.validators.has(name.name)) {
      this.scope.used.add(name.name);
      return;
    }
    this.ctx.reportUnknown('RL2004', this.scope.file, name, 'validator', this.scope.validators.keys());
  }

  private until(until: A.UntilClause): void {
    this.validator(until.validator);
    const t = until.threshold;
    if (t.kind === 'Error') return;
    if (t.unit !== 'none') {
      this.ctx.report('RL2012', this.scope.file, t, `a validator threshold is a plain number in [0, 1], not \`${t.raw}\``, { help: 'write e.g. `0.8`' });
      return;
    }
    if (t.value < 0 || t.value > 1) {
      this.ctx.report(
        'RL2016',
        this.scope.file,
        t,
        `threshold \`${t.raw}\` is outside [0, 1], so ${t.value > 1 ? 'no answer can ever pass' : 'every answer passes'}`,
        {
          help: 'validators score answers from 0 to 1; write e.g. `0.8`',
        },
      );
    }
  }

  private options(options: A.ObjectLit): void {
    const map = propertyMap(this.ctx, this.scope.file, options.entries, PLAN_OPTIONS, '`with`');
    const timeout = map.get('timeout');
    if (timeout) this.read.duration(timeout.value, 'timeout');
    const maxTokens = map.get('max_tokens');
    if (maxTokens) this.read.tokens(maxTokens.value, 'max_tokens');
    const retries = map.get('retries');
    if (retries) this.read.integer(retries.value, 'retries', 0, MAX_RETRIES);
  }

  private split(plan: A.SplitPlan): void {
    const [first, ...rest] = plan.field.segments;
    if (first) {
      if (!this.scope.fields.has(first.name)) this.ctx.reportUnknown('RL2001', this.scope.file, first, 'field', this.scope.fields.keys());
      else if (rest[0])
        this.ctx.report('RL2030', this.scope.file, rest[0], 'a split hashes a whole field; parts are not allowed', {
          help: `write \`split by ${first.name}\``,
        });
    }
    let total = 0;
    let valid = true;
    for (const arm of plan.arms) {
      this.check(arm.plan);
      const w = arm.weight;
      if (w.kind === 'Error') {
        valid = false;
        continue;
      }
      if (w.unit !== 'percent') {
        this.ctx.report('RL2012', this.scope.file, w, `a split weight is a percentage, not \`${w.raw}\``, { help: `write \`${w.raw}%\`` });
        valid = false;
        continue;
      }
      if (w.value <= 0 || w.value > 100) {
        this.ctx.report('RL2024', this.scope.file, w, `a split weight is more than 0% and at most 100%, not \`${w.raw}\``);
        valid = false;
        continue;
      }
      total += w.value;
    }
    // Compare in hundredths of a percent, so `33.33% + 33.33% + 33.34%` adds up exactly.
    if (valid && Math.round(total * 100) !== 10_000) {
      this.ctx.report('RL2015', this.scope.file, plan, `split weights add up to ${Math.round(total * 100) / 100}%, not 100%`, {
        help:
          total < 100
            ? `give the remaining ${Math.round((100 - total) * 100) / 100}% to an arm`
            : `take ${Math.round((total - 100) * 100) / 100}% away from the arms`,
      });
    }
  }

  /** A rollout: exactly a control and a candidate, and settings of the right kinds and ranges (language.md, rollouts). */
  private rollout(plan: A.RolloutPlan): void {
    const file = this.scope.file;
    const bad = (node: A.StringLit | A.Ident | A.Value | A.RolloutPlan, message: string, help: string): void =>
      this.ctx.report('RL2040', file, node, message, { help });
    const [first, ...rest] = plan.field.segments;
    if (first) {
      if (!this.scope.fields.has(first.name)) this.ctx.reportUnknown('RL2001', file, first, 'field', this.scope.fields.keys());
      else if (rest[0])
        this.ctx.report('RL2030', file, rest[0], 'a rollout hashes a whole field; parts are not allowed', { help: `write \`by ${first.name}\`` });
    }
    if (plan.name.value.trim() === '')
      bad(
        plan.name,
        'a rollout needs a name: it is its identity in the shared state and the decision log',
        'write e.g. `rollout "new-model-2026" by tenant { … }`',
      );
    const roles = new Set<string>();
    for (const arm of plan.arms) {
      const role = arm.role.name;
      if (role !== 'control' && role !== 'candidate')
        bad(arm.role, `a rollout has a \`control\` and a \`candidate\`, not \`${role}\``, 'write `control -> PLAN` and `candidate -> PLAN`');
      else if (roles.has(role)) bad(arm.role, `this rollout names its \`${role}\` twice`, `keep one \`${role} -> PLAN\``);
      roles.add(role);
      this.check(arm.plan);
    }
    for (const role of ['control', 'candidate']) {
      if (!roles.has(role)) bad(plan, `this rollout has no \`${role}\``, `add \`${role} -> PLAN\``);
    }
    const seen = new Set<string>();
    for (const p of plan.properties) {
      const key = p.key.name;
      if (seen.has(key)) bad(p.key, `\`${key}\` is set twice`, 'keep one');
      seen.add(key);
      const v = p.value;
      switch (key) {
        case 'metric': {
          const objective = v.kind === 'Object' && v.entries.length === 1 ? v.entries[0] : undefined;
          const okObjective =
            objective !== undefined &&
            ((objective.key.name === 'latency_under' &&
              objective.value.kind === 'Number' &&
              objective.value.unit === 'duration' &&
              objective.value.value > 0) ||
              (objective.key.name === 'cost_under' && objective.value.kind === 'Money' && objective.value.per === undefined && objective.value.amount > 0));
          if (v.kind === 'Symbol') {
            if (v.name.name !== 'errors') this.validator(v.name);
          } else if (!okObjective)
            bad(
              v,
              "a rollout's metric is a validator (its score), `errors`, `{ latency_under: 2s }` or `{ cost_under: $0.01 }` (the share of calls within the objective)",
              'write e.g. `metric = quality`, `metric = errors` or `metric = { latency_under: 2s }`',
            );
          break;
        }
        case 'margin': {
          const ok = v.kind === 'Number' && (v.unit === 'percent' ? v.value >= 0 && v.value < 100 : v.unit === 'none' && v.value >= 0 && v.value < 1);
          if (!ok)
            bad(
              v,
              "a rollout's margin is how much worse the candidate may be on the metric's [0, 1] scale: a number in [0, 1) or a percentage",
              'write e.g. `margin = 0.02` or `margin = 2%`',
            );
          break;
        }
        case 'confidence':
          if (!(v.kind === 'Number' && v.unit === 'percent' && v.value > 50 && v.value < 100))
            bad(v, "a rollout's confidence is a percentage above 50% and below 100%", 'write e.g. `confidence = 95%`');
          break;
        case 'stages': {
          const items = v.kind === 'List' ? v.items : [];
          const values = items.map((i) => (i.kind === 'Number' && i.unit === 'percent' ? i.value : Number.NaN));
          const increasing = values.every((x, i) => x > 0 && x <= 100 && (i === 0 || x > (values[i - 1] as number)));
          if (v.kind !== 'List' || values.length === 0 || !increasing || values[values.length - 1] !== 100)
            bad(v, "a rollout's stages are the candidate's shares, increasing percentages ending at 100%", 'write e.g. `stages = [5%, 25%, 50%, 100%]`');
          break;
        }
        case 'guard':
          if (v.kind !== 'Object') bad(v, "a rollout's guard is `{ errors: 5%, latency_p95: 2s }` (either or both)", 'write e.g. `guard = { errors: 5% }`');
          else
            for (const e of v.entries) {
              const g = e.value;
              if (e.key.name === 'errors') {
                if (!(g.kind === 'Number' && g.unit === 'percent' && g.value >= 0 && g.value <= 100))
                  bad(g, 'the error-rate guard is a percentage', 'write e.g. `errors: 5%`');
              } else if (e.key.name === 'latency_p95') {
                if (!(g.kind === 'Number' && g.unit === 'duration' && g.value > 0))
                  bad(g, "the latency guard is a duration (the candidate's p95)", 'write e.g. `latency_p95: 2s`');
              } else bad(e.key, `a rollout guards \`errors\` and \`latency_p95\`, not \`${e.key.name}\``, 'write `guard = { errors: 5%, latency_p95: 2s }`');
            }
          break;
        case 'min_samples':
          if (!(v.kind === 'Number' && v.unit === 'none' && Number.isInteger(v.value) && v.value >= 1))
            bad(v, 'min_samples is a whole number of candidate calls per stage', 'write e.g. `min_samples = 50`');
          break;
        default:
          bad(p.key, `a rollout has no setting \`${key}\``, 'settings are metric, margin, confidence, stages, guard and min_samples');
      }
    }
    for (const required of ['metric', 'margin', 'stages']) {
      if (!seen.has(required))
        bad(
          plan,
          `this rollout has no \`${required}\``,
          `add e.g. \`${required === 'metric' ? 'metric = errors' : required === 'margin' ? 'margin = 0.02' : 'stages = [5%, 25%, 50%, 100%]'}\``,
        );
    }
  }
}
