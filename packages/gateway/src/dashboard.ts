// The data behind `/dashboard`: what the gateway is doing now, as one JSON snapshot a second.
//
// Two sources, so the page can be trusted against Prometheus: totals (requests, tokens and
// cost per model, rule and tenant; fallbacks, escalations, denials) are read from the same
// prom-client registry `/metrics` exposes, so the page and a scrape never disagree; the live
// view (requests and dollars per second, latency and time-to-first-token percentiles) comes
// from a rolling window of per-second buckets this feed keeps, with exact percentiles over
// the samples of the last minute (a histogram's buckets are too coarse to read a p95 from).
// The work per request is a few additions; a snapshot's work is bounded by the window, not by
// the traffic (each second keeps at most SAMPLES_PER_SECOND latencies per model, by reservoir
// sampling), so the page stays readable, and the gateway fast, at thousands of requests a second.

import { type BreakerState, type DriftEvent, type DriftStatus, nearestRank, type RolloutEvent, type RolloutStatus, type RunEvent } from '@routelang/runtime';
import type { GatewayMetrics } from './metrics.js';

/** Latency samples kept per model per second (a uniform sample of that second's calls). */
const SAMPLES_PER_SECOND = 512;
/** Seconds of history the charts show. */
const HISTORY_SECONDS = 300;
/** Seconds the percentiles are taken over. */
const PERCENTILE_SECONDS = 60;
/** Requests listed as they arrive. */
const RECENT = 50;
/** Rows of the rule and tenant tables (the busiest first). */
const TOP = 25;
/** Events (rollout stage changes, drift) listed. */
const EVENTS = 20;

/** One model's figures. Counters are totals since start (as in `/metrics`); percentiles are over the last minute. */
export interface DashboardModel {
  readonly model: string;
  /** Requests this model answered (`routelang_requests_total{model}`). */
  readonly requests: number;
  /** Calls made to it (answered or not), from its latency histogram's count. */
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Dollars. */
  readonly cost: number;
  /** Call latency in milliseconds over the last minute (null without calls). */
  readonly latencyMs: Percentiles;
  /** Time to first token in milliseconds over the last minute, of streamed calls. */
  readonly firstTokenMs: Percentiles;
  readonly circuit: BreakerState | 'closed';
}

export interface Percentiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly samples: number;
}

export interface DashboardRule {
  readonly rule: string;
  readonly requests: number;
  readonly cost: number;
  readonly fallbacks: number;
  readonly escalations: number;
  readonly denials: number;
}

export interface DashboardTenant {
  readonly tenant: string;
  readonly requests: number;
  readonly cost: number;
  /** This period's spend against the policy's per-tenant budget, when it has one. */
  readonly budget?: { readonly spent: number; readonly limit: number; readonly period: string };
}

/** A request as it finished. */
export interface DashboardRequest {
  readonly time: string;
  readonly requestId: string;
  readonly tenant: string | null;
  readonly rule: string;
  readonly model: string | null;
  readonly outcome: RunEvent['outcome'];
  readonly cost: number;
  readonly latencyMs: number;
  readonly fallbacks: number;
  readonly escalations: number;
}

/** Per-second series over the last HISTORY_SECONDS, one array per model, aligned with `seconds`. */
export interface DashboardSeries {
  /** Unix seconds, oldest first, from the first second with traffic (at most HISTORY_SECONDS ago) to the last whole second. */
  readonly seconds: readonly number[];
  readonly requests: Readonly<Record<string, readonly number[]>>;
  readonly cost: Readonly<Record<string, readonly number[]>>;
  /** p95 call latency in ms per second (null in a second without calls). */
  readonly latencyP95: Readonly<Record<string, readonly (number | null)[]>>;
}

/** What `/dashboard/snapshot` returns and `/dashboard/events` sends every second. */
export interface DashboardSnapshot {
  /** Unix milliseconds. */
  readonly time: number;
  readonly policy: { readonly name: string | null; readonly hash: string };
  readonly totals: {
    readonly requests: number;
    readonly cost: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly inFlight: number;
    /** Requests per second over the last 10 whole seconds. */
    readonly requestsPerSecond: number;
    readonly outcomes: Readonly<Record<string, number>>;
  };
  /** Escalations and fallbacks per request (a request can take several), and the share of requests the policy refused. */
  readonly rates: { readonly escalation: number; readonly fallback: number; readonly denial: number };
  readonly models: readonly DashboardModel[];
  readonly rules: readonly DashboardRule[];
  readonly tenants: readonly DashboardTenant[];
  readonly rollouts: readonly RolloutStatus[];
  readonly rolloutEvents: readonly RolloutEvent[];
  readonly drift: readonly DriftStatus[];
  readonly driftEvents: readonly (DriftEvent & { readonly time: string })[];
  readonly recent: readonly DashboardRequest[];
  readonly series: DashboardSeries;
}

/** Where the feed reads what the router knows. */
export interface DashboardSources {
  readonly policy: () => { readonly name: string | null; readonly hash: string };
  readonly circuits: () => Record<string, BreakerState>;
  readonly rollouts: () => Record<string, RolloutStatus>;
  readonly drift: () => readonly DriftStatus[];
  /** This period's spend of each tenant, when the policy has a per-tenant budget. */
  readonly tenantBudgets?: (tenants: readonly string[]) => Promise<Readonly<Record<string, { spent: number; limit: number; period: string }>>>;
}

interface ModelSecond {
  requests: number;
  cost: number;
  /** Calls seen this second (the reservoir's denominator). */
  calls: number;
  latencies: number[];
  firstTokens: number[];
  streamed: number;
  /** The second's p95 latency, computed once the second is over (it no longer changes). */
  p95?: number | null;
}

type Second = Map<string, ModelSecond>;

/** The label of a request no model answered, by outcome (so the requests chart adds up). */
const unanswered = (outcome: string): string => `(${outcome})`;

export class DashboardFeed {
  private readonly seconds = new Map<number, Second>();
  private readonly recent: DashboardRequest[] = [];
  private readonly rolloutEvents: RolloutEvent[] = [];
  private readonly driftEvents: (DriftEvent & { time: string })[] = [];

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly sources: DashboardSources,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records one run's event (after the metrics did). */
  record(event: RunEvent, rule: string): void {
    const second = this.second();
    const answered = event.model ?? unanswered(event.outcome);
    this.bucket(second, answered).requests++;
    for (const a of event.attempts) {
      if (a.kind !== 'model' || a.outcome === 'skipped') continue;
      const b = this.bucket(second, a.target);
      b.cost += a.cost;
      b.calls++;
      this.sample(b.latencies, b.calls, a.latencyMs);
      if (a.firstTokenMs !== undefined) {
        b.streamed++;
        this.sample(b.firstTokens, b.streamed, a.firstTokenMs);
      }
    }
    this.recent.push({
      time: event.time,
      requestId: event.requestId,
      tenant: event.tenant ?? null,
      rule,
      model: event.model ?? null,
      outcome: event.outcome,
      cost: event.cost,
      latencyMs: event.latencyMs,
      fallbacks: event.fallbacks,
      escalations: event.escalations,
    });
    if (this.recent.length > RECENT) this.recent.shift();
  }

  rollout(event: RolloutEvent): void {
    this.rolloutEvents.push(event);
    if (this.rolloutEvents.length > EVENTS) this.rolloutEvents.shift();
  }

  drift(event: DriftEvent): void {
    this.driftEvents.push({ ...event, time: new Date(this.now()).toISOString() });
    if (this.driftEvents.length > EVENTS) this.driftEvents.shift();
  }

  /** Keeps a uniform sample of a second's values: the n-th value replaces a kept one with probability SAMPLES/n. */
  private sample(kept: number[], n: number, value: number): void {
    if (kept.length < SAMPLES_PER_SECOND) kept.push(value);
    else {
      const i = Math.floor(this.random() * n);
      if (i < SAMPLES_PER_SECOND) kept[i] = value;
    }
  }

  private second(): Second {
    const now = Math.floor(this.now() / 1000);
    let second = this.seconds.get(now);
    if (!second) {
      second = new Map();
      this.seconds.set(now, second);
      // Seconds are added in order: the oldest are first in the map.
      for (const s of this.seconds.keys()) {
        if (s > now - HISTORY_SECONDS) break;
        this.seconds.delete(s);
      }
    }
    return second;
  }

  private bucket(second: Second, model: string): ModelSecond {
    let b = second.get(model);
    if (!b) {
      b = { requests: 0, cost: 0, calls: 0, latencies: [], firstTokens: [], streamed: 0 };
      second.set(model, b);
    }
    return b;
  }

  /** The dashboard's snapshot now. */
  async snapshot(): Promise<DashboardSnapshot> {
    const time = this.now();
    const current = Math.floor(time / 1000);
    const read = await readRegistry(this.metrics);
    const circuits = this.sources.circuits();

    // The window: percentiles over the last minute (the current second included), series up to the last whole second.
    const lastMinute = new Map<string, { latencies: number[]; firstTokens: number[] }>();
    for (const [s, second] of this.seconds) {
      if (s <= current - PERCENTILE_SECONDS) continue;
      for (const [model, b] of second) {
        const m = lastMinute.get(model) ?? { latencies: [], firstTokens: [] };
        lastMinute.set(model, m);
        for (const v of b.latencies) m.latencies.push(v);
        for (const v of b.firstTokens) m.firstTokens.push(v);
      }
    }

    const modelNames = new Set<string>([...read.byModel.keys(), ...Object.keys(circuits)]);
    const models: DashboardModel[] = [...modelNames]
      .filter((m) => m !== '')
      .sort()
      .map((model) => {
        const t = read.byModel.get(model) ?? emptyTotals();
        const w = lastMinute.get(model);
        return {
          model,
          requests: t.requests,
          calls: t.calls,
          inputTokens: t.inputTokens,
          outputTokens: t.outputTokens,
          cost: t.cost,
          latencyMs: percentiles(w?.latencies ?? []),
          firstTokenMs: percentiles(w?.firstTokens ?? []),
          circuit: circuits[model] ?? 'closed',
        };
      });

    const rules: DashboardRule[] = [...read.byRule]
      .map(([rule, t]) => ({ rule, requests: t.requests, cost: t.cost, fallbacks: t.fallbacks, escalations: t.escalations, denials: t.denials }))
      .sort((a, b) => b.requests - a.requests || a.rule.localeCompare(b.rule))
      .slice(0, TOP);

    const busiest = [...read.byTenant]
      .filter(([tenant]) => tenant !== '')
      .sort((a, b) => b[1].requests - a[1].requests || a[0].localeCompare(b[0]))
      .slice(0, TOP);
    let budgets: Readonly<Record<string, { spent: number; limit: number; period: string }>> = {};
    if (this.sources.tenantBudgets && busiest.length > 0) {
      try {
        budgets = await this.sources.tenantBudgets(busiest.map(([t]) => t));
      } catch {
        // The shared state is unreachable: the page shows the tenants without their budget.
      }
    }
    const tenants: DashboardTenant[] = busiest.map(([tenant, t]) => {
      const budget = budgets[tenant];
      return { tenant, requests: t.requests, cost: t.cost, ...(budget ? { budget } : {}) };
    });

    // From the first second seen (a new gateway's charts are not five minutes of nothing).
    const seconds: number[] = [];
    const first = this.seconds.keys().next().value ?? current;
    for (let s = Math.max(first, current - HISTORY_SECONDS + 1); s < current; s++) seconds.push(s);
    const seriesModels = new Set<string>();
    for (const [s, second] of this.seconds) if (s < current) for (const m of second.keys()) seriesModels.add(m);
    const requests: Record<string, number[]> = {};
    const cost: Record<string, number[]> = {};
    const latencyP95: Record<string, (number | null)[]> = {};
    for (const m of [...seriesModels].sort()) {
      requests[m] = seconds.map((s) => this.seconds.get(s)?.get(m)?.requests ?? 0);
      cost[m] = seconds.map((s) => this.seconds.get(s)?.get(m)?.cost ?? 0);
      if (!m.startsWith('('))
        latencyP95[m] = seconds.map((s) => {
          const b = this.seconds.get(s)?.get(m);
          if (!b) return null;
          if (b.p95 === undefined) b.p95 = percentile(b.latencies, 0.95);
          return b.p95;
        });
    }
    let lastTen = 0;
    for (let s = current - 10; s < current; s++) for (const b of this.seconds.get(s)?.values() ?? []) lastTen += b.requests;

    const total = read.requests;
    return {
      time,
      policy: this.sources.policy(),
      totals: {
        requests: total,
        cost: read.cost,
        inputTokens: read.inputTokens,
        outputTokens: read.outputTokens,
        inFlight: read.inFlight,
        requestsPerSecond: lastTen / 10,
        outcomes: Object.fromEntries(read.outcomes),
      },
      rates: {
        escalation: total > 0 ? read.escalations / total : 0,
        fallback: total > 0 ? read.fallbacks / total : 0,
        denial: total > 0 ? (read.outcomes.get('denied') ?? 0) / total : 0,
      },
      models,
      rules,
      tenants,
      rollouts: Object.values(this.sources.rollouts()),
      rolloutEvents: [...this.rolloutEvents].reverse(),
      drift: [...this.sources.drift()],
      driftEvents: [...this.driftEvents].reverse(),
      recent: [...this.recent].reverse(),
      series: { seconds, requests, cost, latencyP95 },
    };
  }
}

interface Totals {
  requests: number;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  fallbacks: number;
  escalations: number;
  denials: number;
}

const emptyTotals = (): Totals => ({ requests: 0, calls: 0, inputTokens: 0, outputTokens: 0, cost: 0, fallbacks: 0, escalations: 0, denials: 0 });

interface Read {
  requests: number;
  cost: number;
  inputTokens: number;
  outputTokens: number;
  fallbacks: number;
  escalations: number;
  inFlight: number;
  outcomes: Map<string, number>;
  byModel: Map<string, Totals>;
  byRule: Map<string, Totals>;
  byTenant: Map<string, Totals>;
}

/** The totals `/metrics` exposes, read from the same registry and grouped by model, rule and tenant. */
async function readRegistry(metrics: GatewayMetrics): Promise<Read> {
  const out: Read = {
    requests: 0,
    cost: 0,
    inputTokens: 0,
    outputTokens: 0,
    fallbacks: 0,
    escalations: 0,
    inFlight: 0,
    outcomes: new Map(),
    byModel: new Map(),
    byRule: new Map(),
    byTenant: new Map(),
  };
  const group = (map: Map<string, Totals>, key: string | number | undefined): Totals => {
    const k = String(key ?? '');
    let t = map.get(k);
    if (!t) {
      t = emptyTotals();
      map.set(k, t);
    }
    return t;
  };
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      const l = v.labels as Record<string, string | number | undefined>;
      const value = v.value;
      switch (metric.name) {
        case 'routelang_requests_total':
          out.requests += value;
          out.outcomes.set(String(l.outcome), (out.outcomes.get(String(l.outcome)) ?? 0) + value);
          if (l.model !== '') group(out.byModel, l.model).requests += value;
          group(out.byRule, l.rule).requests += value;
          group(out.byTenant, l.tenant).requests += value;
          break;
        case 'routelang_tokens_total': {
          const field = l.direction === 'input' ? 'inputTokens' : 'outputTokens';
          out[field] += value;
          group(out.byModel, l.model)[field] += value;
          break;
        }
        case 'routelang_cost_usd_total':
          out.cost += value;
          group(out.byModel, l.model).cost += value;
          group(out.byRule, l.rule).cost += value;
          group(out.byTenant, l.tenant).cost += value;
          break;
        case 'routelang_call_duration_seconds':
          // Histogram values carry the sample's name (prom-client's JSON has it; its types omit it).
          if ((v as { metricName?: string }).metricName === 'routelang_call_duration_seconds_count') group(out.byModel, l.model).calls += value;
          break;
        case 'routelang_fallbacks_total':
          out.fallbacks += value;
          group(out.byRule, l.rule).fallbacks += value;
          break;
        case 'routelang_escalations_total':
          out.escalations += value;
          group(out.byRule, l.rule).escalations += value;
          break;
        case 'routelang_denials_total':
          group(out.byRule, l.rule).denials += value;
          break;
        case 'routelang_in_flight_requests':
          out.inFlight = value;
          break;
      }
    }
  }
  return out;
}

/** The q-quantile of values (nearest rank, as the runtime's metrics), or null for none. */
function percentile(values: readonly number[], q: number): number | null {
  return nearestRank(Float64Array.from(values).sort(), q) ?? null;
}

function percentiles(values: readonly number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  return { p50: nearestRank(sorted, 0.5) ?? null, p95: nearestRank(sorted, 0.95) ?? null, samples: sorted.length };
}
