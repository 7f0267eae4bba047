// The gateway's Prometheus metrics (prom-client, its own registry): requests, tokens and
// cost per model, rule and tenant; latency and time-to-first-token histograms per model;
// fallbacks, escalations and denials per rule; circuit-breaker state per model; requests in
// flight. Tenant labels are bounded: past `maxTenants` distinct tenants, the rest count as
// `other`, so a caller inventing tenants cannot grow the registry without limit.

import type { BreakerState, DriftEvent, DriftStatus, RolloutEvent, RolloutStatus, RunEvent, ShadowEvent, StateEvent } from '@routelang/runtime';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly tenants = new Set<string>();
  private readonly requests: Counter<'model' | 'rule' | 'tenant' | 'outcome'>;
  private readonly tokens: Counter<'model' | 'rule' | 'tenant' | 'direction'>;
  private readonly cost: Counter<'model' | 'rule' | 'tenant'>;
  private readonly latency: Histogram<'model'>;
  private readonly firstToken: Histogram<'model'>;
  private readonly fallbacks: Counter<'rule'>;
  private readonly escalations: Counter<'rule'>;
  private readonly denials: Counter<'rule' | 'reason'>;
  private readonly http: Counter<'status'>;
  readonly inFlight: Gauge;
  readonly reloads: Counter<'outcome'>;
  private readonly stateFallbacks: Counter<'op' | 'mode'>;
  private readonly stateConnected: Gauge;

  private readonly rolloutChanges: Counter<'rollout' | 'action'>;
  private readonly shadowCalls: Counter<'model' | 'outcome'>;
  private readonly driftEvents: Counter<'model' | 'metric'>;
  private readonly shadowCost: Counter<'model'>;
  private readonly shadowScores: Histogram<'model' | 'side'>;

  constructor(
    circuits: () => Record<string, BreakerState>,
    private readonly maxTenants = 1000,
    rollouts: () => Record<string, RolloutStatus> = () => ({}),
    drift: () => readonly DriftStatus[] = () => [],
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'routelang_requests_total',
      help: 'Requests run, by the model that answered, the deciding rule, the tenant and the outcome (ok, denied, failed, invalid)',
      labelNames: ['model', 'rule', 'tenant', 'outcome'],
      registers,
    });
    this.tokens = new Counter({
      name: 'routelang_tokens_total',
      help: 'Tokens sent and received, by model, rule, tenant and direction (input, output)',
      labelNames: ['model', 'rule', 'tenant', 'direction'],
      registers,
    });
    this.cost = new Counter({
      name: 'routelang_cost_usd_total',
      help: 'Dollars spent, by model, rule and tenant',
      labelNames: ['model', 'rule', 'tenant'],
      registers,
    });
    this.latency = new Histogram({
      name: 'routelang_call_duration_seconds',
      help: 'Duration of each model call, by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.firstToken = new Histogram({
      name: 'routelang_time_to_first_token_seconds',
      help: 'Time from the start of a streamed model call to its first text, by model',
      labelNames: ['model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fallbacks = new Counter({ name: 'routelang_fallbacks_total', help: 'Fallbacks taken, by rule', labelNames: ['rule'], registers });
    this.escalations = new Counter({ name: 'routelang_escalations_total', help: 'Cascade escalations, by rule', labelNames: ['rule'], registers });
    this.denials = new Counter({
      name: 'routelang_denials_total',
      help: 'Requests refused by the policy (a deny rule, an assertion, a budget), by rule and reason',
      labelNames: ['rule', 'reason'],
      registers,
    });
    this.http = new Counter({ name: 'routelang_http_responses_total', help: 'HTTP responses, by status', labelNames: ['status'], registers });
    this.inFlight = new Gauge({ name: 'routelang_in_flight_requests', help: 'Requests being served', registers });
    this.reloads = new Counter({
      name: 'routelang_policy_reloads_total',
      help: 'Policy reloads, by outcome (ok, rejected)',
      labelNames: ['outcome'],
      registers,
    });
    this.stateFallbacks = new Counter({
      name: 'routelang_state_fallbacks_total',
      help: 'Shared-state operations that could not reach the store, by operation and mode (open: served on local state; strict: budgeted calls refused)',
      labelNames: ['op', 'mode'],
      registers,
    });
    this.stateConnected = new Gauge({ name: 'routelang_state_connected', help: 'Whether the shared state store is reachable (1) or not (0)', registers });
    this.shadowCalls = new Counter({
      name: 'routelang_shadow_calls_total',
      help: 'Shadow calls, by model and outcome (ok, refused, error)',
      labelNames: ['model', 'outcome'],
      registers,
    });
    this.shadowCost = new Counter({
      name: 'routelang_shadow_cost_usd_total',
      help: 'Dollars spent on shadow calls, by model',
      labelNames: ['model'],
      registers,
    });
    this.shadowScores = new Histogram({
      name: 'routelang_shadow_score',
      help: "Validator scores of shadowed requests, by shadow model and side (primary: the plan's answer; shadow: the shadow's)",
      labelNames: ['model', 'side'],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers,
    });
    this.driftEvents = new Counter({
      name: 'routelang_drift_events_total',
      help: "Windows of a model's calls that drifted from its reference, by model and metric",
      labelNames: ['model', 'metric'],
      registers,
    });
    new Gauge({
      name: 'routelang_drift_estimate',
      help: 'The latest window against its reference, by model and metric: the mean difference (score, error_rate) or the share above the reference median (others; 0.5 unchanged)',
      labelNames: ['model', 'metric'],
      registers,
      collect() {
        this.reset();
        for (const d of drift()) if (d.estimate !== undefined) this.set({ model: d.model, metric: d.metric }, d.estimate);
      },
    });
    this.rolloutChanges = new Counter({
      name: 'routelang_rollout_changes_total',
      help: 'Rollout stage changes, by rollout and action (advance, complete, rollback)',
      labelNames: ['rollout', 'action'],
      registers,
    });
    new Gauge({
      name: 'routelang_rollout_share',
      help: "Each rollout's candidate share now, in percent (0 once rolled back)",
      labelNames: ['rollout'],
      registers,
      collect() {
        this.reset();
        for (const [rollout, status] of Object.entries(rollouts())) this.set({ rollout }, status.share);
      },
    });
    new Gauge({
      name: 'routelang_circuit_state',
      help: 'Circuit breaker state per model: 0 closed, 1 half-open, 2 open',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const [model, state] of Object.entries(circuits())) this.set({ model }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0);
      },
    });
  }

  private tenant(name: string | undefined): string {
    if (name === undefined) return '';
    if (this.tenants.has(name)) return name;
    if (this.tenants.size >= this.maxTenants) return 'other';
    this.tenants.add(name);
    return name;
  }

  /** Records one run's decision-log event. */
  record(event: RunEvent, rule: string, denial?: string): void {
    const tenant = this.tenant(event.tenant);
    const model = event.model ?? '';
    this.requests.inc({ model, rule, tenant, outcome: event.outcome });
    if (event.fallbacks > 0) this.fallbacks.inc({ rule }, event.fallbacks);
    if (event.escalations > 0) this.escalations.inc({ rule }, event.escalations);
    if (denial) this.denials.inc({ rule, reason: denial });
    for (const a of event.attempts) {
      if (a.kind !== 'model' || a.outcome === 'skipped') continue;
      if (a.inputTokens > 0) this.tokens.inc({ model: a.target, rule, tenant, direction: 'input' }, a.inputTokens);
      if (a.outputTokens > 0) this.tokens.inc({ model: a.target, rule, tenant, direction: 'output' }, a.outputTokens);
      if (a.cost > 0) this.cost.inc({ model: a.target, rule, tenant }, a.cost);
      this.latency.observe({ model: a.target }, a.latencyMs / 1000);
      if (a.firstTokenMs !== undefined) this.firstToken.observe({ model: a.target }, a.firstTokenMs / 1000);
    }
  }

  /** Records a drift. */
  drift(event: DriftEvent): void {
    this.driftEvents.inc({ model: event.model, metric: event.metric });
  }

  /** Records a shadow call. */
  shadow(event: ShadowEvent): void {
    this.shadowCalls.inc({ model: event.shadow, outcome: event.outcome });
    if (event.cost > 0) this.shadowCost.inc({ model: event.shadow }, event.cost);
    if (event.primaryScore !== undefined) this.shadowScores.observe({ model: event.shadow, side: 'primary' }, event.primaryScore);
    if (event.shadowScore !== undefined) this.shadowScores.observe({ model: event.shadow, side: 'shadow' }, event.shadowScore);
  }

  /** Records a rollout's stage change. */
  rollout(event: RolloutEvent): void {
    this.rolloutChanges.inc({ rollout: event.rollout, action: event.action });
  }

  /** Records a shared state store's event. */
  state(event: StateEvent): void {
    if (event.type === 'fallback') this.stateFallbacks.inc({ op: event.op, mode: event.mode });
    else this.stateConnected.set(event.type === 'up' ? 1 : 0);
  }

  status(code: number): void {
    this.http.inc({ status: String(code) });
  }
}
